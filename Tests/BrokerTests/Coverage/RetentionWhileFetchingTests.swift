import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

/// Retention deletes segments while a consumer reads through them and a producer appends: every
/// fetch answer is either the records at the offset asked for (contiguous, each holding the value
/// written at that offset) or `offsetOutOfRange` with the new log start, where the reader goes on.
@Suite("Retention while fetches read")
struct RetentionWhileFetchingTests {
    static let topic = "retained"
    static let total: Int64 = 160

    /// The value written at `offset`: about 200 bytes, so that a 1 KiB segment holds a few batches.
    static func value(_ offset: Int64) -> String {
        "r\(offset)-" + String(repeating: "x", count: 200)
    }

    static func fetch(_ connection: TestConnection, at offset: Int64) async throws -> FetchResponse.PartitionData {
        let response = try await connection.call(
            FetchRequest(
                maxWaitMilliseconds: 0,
                maxBytes: 1 << 20,
                // Small: about one batch per fetch, so the reader takes many steps through the segments.
                topics: [.init(topic: topic, partitions: [.init(partition: 0, offset: offset, maxBytes: 300)])]
            ),
            as: FetchResponse.self
        )
        return try #require(response.topics.first?.partitions.first)
    }

    static func produce(_ connection: TestConnection, _ offset: Int64) async throws {
        let result = try await ProduceFetchTests.produce(
            connection,
            topic,
            partition: 0,
            batchBytes([value(offset)], timestamp: currentTimeMilliseconds()),
            acks: .written
        )
        #expect(result.errorCode == .none, "\(result.errorCode): \(result.errorMessage ?? "")")
        #expect(result.baseOffset == offset, "one producer: record \(offset) is at offset \(offset)")
    }

    static func produce(_ connection: TestConnection, from first: Int64, to end: Int64) async throws {
        for offset in first..<end { try await produce(connection, offset) }
    }

    @Test("a reader overtaken by retention gets offsetOutOfRange and the log start, never a wrong or failed read")
    func readerOvertakenByRetention() async throws {
        try await withBroker({
            $0.limits.minSegmentBytes = 1024
            $0.retentionCheckIntervalMilliseconds = 10
        }) { _, port in
            let producer = try await TestConnection(port: port)
            let reader = try await TestConnection(port: port)
            let created = try await producer.call(
                CreateTopicRequest(topic: Self.topic, partitionCount: 1, retentionBytes: 2048, segmentBytes: 1024),
                as: CreateTopicResponse.self
            )
            #expect(created.result.errorCode == .none, "\(created.result.errorMessage ?? "")")
            let half = Self.total / 2
            for offset in 0..<half { try await Self.produce(producer, offset) }
            // The event: retention has deleted the first segment (bounded wait).
            let deadline = ContinuousClock.now + .seconds(30)
            var start = try await Self.fetch(reader, at: 0)
            while start.errorCode == .none, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
                start = try await Self.fetch(reader, at: 0)
            }
            #expect(start.errorCode == .offsetOutOfRange, "\(start.errorCode): \(start.errorMessage ?? "")")
            #expect(start.logStartOffset > 0)

            // The reader starts at 0 and walks to the end while the producer appends the second
            // half and retention keeps deleting the oldest segments under it.
            async let produced: Void = Self.produce(producer, from: half, to: Self.total)
            var offset: Int64 = 0
            var jumps = 0
            var read = 0
            while offset < Self.total, ContinuousClock.now < deadline {
                let data = try await Self.fetch(reader, at: offset)
                switch data.errorCode {
                case .none:
                    var bytes = data.records
                    var batches = 0
                    while let batch = try RecordBatch.next(from: &bytes) {
                        batches += 1
                        #expect(batch.baseOffset == offset, "contiguous: expected \(offset), read \(batch.baseOffset)")
                        let values = try batch.records().map { String(buffer: $0.value!) }
                        #expect(values == [Self.value(batch.baseOffset)], "offset \(batch.baseOffset)")
                        offset = batch.baseOffset + 1
                        read += 1
                    }
                    if batches == 0 { try await Task.sleep(for: .milliseconds(2)) }
                case .offsetOutOfRange:
                    #expect(data.logStartOffset > offset, "out of range below the log start only")
                    jumps += 1
                    offset = data.logStartOffset
                default:
                    Issue.record("fetch at \(offset): \(data.errorCode): \(data.errorMessage ?? "")")
                    return
                }
            }
            try await produced
            #expect(offset == Self.total, "the reader reached the end")
            #expect(jumps >= 1, "retention overtook the reader at least once")
            #expect(read > 0)
            let end = try await Self.fetch(reader, at: Self.total)
            #expect(end.errorCode == .none && end.logEndOffset == Self.total && end.logStartOffset > 0)
        }
    }
}
