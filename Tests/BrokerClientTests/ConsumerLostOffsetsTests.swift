import BrokerProtocol
import LogStore
import NIOCore
import RecordCodec
import Synchronization
import Testing

@testable import BrokerClient

/// The `Consumer` and `offsetsLost`: it steps over the lost range of one partition without losing
/// or repeating the records of the others fetched in the same response.
@Suite("Consumer and lost offsets")
struct ConsumerLostOffsetsTests {
    /// Two partitions of 30 records each, five records a batch; partition 0 lost offsets 10..<20.
    final class GapTransport: BrokerTransport {
        static let end: Int64 = 30
        static let lost: [Int32: Range<Int64>] = [0: 10..<20]
        let fetches = Mutex(0)

        var maxFrameBytes: Int? { get async { 1 << 20 } }

        func sendWithoutResponse<Request: WireMessage>(_ request: Request) async throws {}

        func send<Request: WireMessage, Response: WireMessage>(
            _ request: Request,
            as response: Response.Type,
            timeout: Duration?
        ) async throws -> Response {
            switch request {
            case let query as ListOffsetsRequest:
                return ListOffsetsResponse(
                    topic: query.topic,
                    partitions: query.partitions.map {
                        .init(partition: $0.partition, offset: 0, logStartOffset: 0, logEndOffset: Self.end)
                    }
                ) as! Response
            case let fetch as FetchRequest:
                fetches.withLock { $0 += 1 }
                let topics = fetch.topics.map { topic in
                    FetchResponse.TopicData(topic: topic.topic, partitions: topic.partitions.map(Self.answer))
                }
                return FetchResponse(topics: topics) as! Response
            default:
                throw ClientError(.broker(.unsupportedAPI), "not served")
            }
        }

        static func answer(_ query: FetchRequest.PartitionQuery) -> FetchResponse.PartitionData {
            if let lost = lost[query.partition], lost.contains(query.offset) {
                return .init(
                    partition: query.partition,
                    lostOffsets: lost,
                    errorMessage: "lost",
                    logStartOffset: 0,
                    logEndOffset: end
                )
            }
            let first = query.offset / 5 * 5
            let records = (first..<min(first + 5, end)).map {
                Record(value: ByteBuffer(string: "p\(query.partition)-\($0)"), timestamp: 1)
            }
            return .init(
                partition: query.partition,
                logStartOffset: 0,
                logEndOffset: end,
                records: records.isEmpty ? ByteBuffer() : RecordBatch(records: records, baseOffset: first).buffer
            )
        }
    }

    @Test("lost offsets are thrown once, then reading goes on; no other record is lost or repeated")
    func stepsOver() async throws {
        var configuration = ConsumerConfiguration()
        configuration.stopsAtEnd = true
        let consumer = Consumer(
            transport: GapTransport(),
            topic: "t",
            partitions: [0, 1],
            configuration: configuration
        )
        var received: [Int32: [Int64]] = [:]
        var gaps: [LostOffsets] = []
        var polls = 0
        while await !consumer.isAtEnd, polls < 100 {
            polls += 1
            do {
                for record in try await consumer.poll() {
                    received[record.partition, default: []].append(record.offset)
                    #expect(String(buffer: record.value!) == "p\(record.partition)-\(record.offset)")
                }
            } catch let gap as LostOffsets {
                gaps.append(gap)
            }
        }
        #expect(gaps == [LostOffsets(topic: "t", partition: 0, offsets: 10...19)])
        #expect(gaps.first?.nextOffset == 20)
        #expect(received[0] == Array(0..<10) + Array(20..<30))
        #expect(received[1] == Array(0..<30))
        #expect(await consumer.positions == [0: 30, 1: 30])
    }

    @Test("a lost range that does not lie past the position is a protocol violation, not a loop")
    func rangeBehindPosition() async throws {
        final class Behind: BrokerTransport {
            var maxFrameBytes: Int? { get async { nil } }
            func sendWithoutResponse<Request: WireMessage>(_ request: Request) async throws {}
            func send<Request: WireMessage, Response: WireMessage>(
                _ request: Request,
                as response: Response.Type,
                timeout: Duration?
            ) async throws -> Response {
                if request is ListOffsetsRequest {
                    return ListOffsetsResponse(
                        topic: "t",
                        partitions: [.init(partition: 0, offset: 50, logStartOffset: 0, logEndOffset: 100)]
                    ) as! Response
                }
                return FetchResponse(topics: [
                    .init(
                        topic: "t",
                        partitions: [
                            .init(
                                partition: 0,
                                lostOffsets: 10..<20,
                                errorMessage: nil,
                                logStartOffset: 0,
                                logEndOffset: 100
                            )
                        ]
                    )
                ]) as! Response
            }
        }
        let consumer = Consumer(transport: Behind(), topic: "t", partitions: [0], from: .offset(50))
        let error = await #expect(throws: ClientError.self) { _ = try await consumer.poll() }
        #expect(error?.code == .protocolViolation)
        #expect(await consumer.positions[0] == 50)
    }
}
