import BrokerProtocol
import Foundation
import NIOCore
import Testing

@testable import Broker

/// Every request with a count read from the wire is bounded by `maxEntriesPerRequest`, and a fetch
/// of many entries is served in linear time without deep recursion.
@Suite("entries per request")
struct RequestEntryLimitTests {
    static func unknownPartitions(_ count: Int) -> FetchRequest {
        FetchRequest(
            maxWaitMilliseconds: 0,
            maxBytes: 1 << 20,
            topics: [
                .init(
                    topic: "known",
                    partitions: (0..<count).map { .init(partition: Int32(1000 + $0), offset: 0, maxBytes: 1024) }
                )
            ]
        )
    }

    @Test("a fetch of 100,000 entries for unknown partitions is answered entry by entry (linear, no recursion)")
    func manyUnknownPartitions() async throws {
        try await withBroker({ $0.limits.maxEntriesPerRequest = 100_000 }) { _, port in
            let connection = try await TestConnection(port: port)
            _ = try await connection.call(
                CreateTopicRequest(topic: "known", partitionCount: 1),
                as: CreateTopicResponse.self
            )
            let response = try await connection.call(Self.unknownPartitions(100_000), as: FetchResponse.self)
            let partitions = try #require(response.topics.first?.partitions)
            #expect(partitions.count == 100_000)
            #expect(partitions.allSatisfy { $0.errorCode == .unknownPartition })
            #expect(partitions.last?.partition == Int32(100_999), "in request order")
        }
    }

    @Test("a fetch mixing real reads and thousands of unknown entries keeps request order")
    func mixedFetch() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            _ = try await connection.call(
                CreateTopicRequest(topic: "known", partitionCount: 2),
                as: CreateTopicResponse.self
            )
            for partition: Int32 in 0..<2 {
                _ = try await connection.call(
                    ProduceRequest(
                        acks: .written,
                        topic: "known",
                        partitions: [.init(partition: partition, records: batchBytes(["p\(partition)"]))]
                    ),
                    as: ProduceResponse.self
                )
            }
            var queries: [FetchRequest.PartitionQuery] = []
            for index in 0..<3000 {
                let partition: Int32 = index % 1000 == 0 ? Int32(index / 1000 % 2) : Int32(10 + index)
                queries.append(.init(partition: partition, offset: 0, maxBytes: 1024))
            }
            let response = try await connection.call(
                FetchRequest(
                    maxWaitMilliseconds: 0,
                    maxBytes: 1 << 20,
                    topics: [.init(topic: "known", partitions: queries)]
                ),
                as: FetchResponse.self
            )
            let partitions = try #require(response.topics.first?.partitions)
            #expect(partitions.map(\.partition) == queries.map(\.partition))
            #expect(try decodeRecords(partitions[0].records).map { String(buffer: $0.value!) } == ["p0"])
            #expect(try decodeRecords(partitions[1000].records).map { String(buffer: $0.value!) } == ["p1"])
            #expect(partitions[1].errorCode == .unknownPartition)
        }
    }

    @Test("produce, fetch and listOffsets over maxEntriesPerRequest are answered limitExceeded")
    func overTheLimit() async throws {
        try await withBroker({ $0.limits.maxEntriesPerRequest = 100 }) { _, port in
            let connection = try await TestConnection(port: port)
            _ = try await connection.call(
                CreateTopicRequest(topic: "known", partitionCount: 1),
                as: CreateTopicResponse.self
            )
            func expectLimit<M: WireMessage>(_ request: M, _ id: UInt32) async throws {
                try await connection.send(request, correlationID: id)
                let frame = try await connection.response(id)
                #expect(frame.errorCode == .limitExceeded, "\(M.self)")
                #expect(
                    frame.errorMessage?.contains("maxEntriesPerRequest (100)") == true,
                    "\(frame.errorMessage ?? "")"
                )
            }
            try await expectLimit(Self.unknownPartitions(101), 1)
            try await expectLimit(
                FetchRequest(
                    maxWaitMilliseconds: 0,
                    maxBytes: 1024,
                    topics: (0..<101).map { .init(topic: "t\($0)", partitions: []) }
                ),
                2
            )
            try await expectLimit(
                ProduceRequest(
                    acks: .written,
                    topic: "known",
                    partitions: (0..<101).map { _ in .init(partition: 0, records: batchBytes(["x"])) }
                ),
                3
            )
            try await expectLimit(
                ListOffsetsRequest(
                    topic: "known",
                    partitions: (0..<101).map { .init(partition: Int32($0), timestamp: -1) }
                ),
                4
            )
            // At the limit is fine.
            let atLimit = try await connection.call(Self.unknownPartitions(100), as: FetchResponse.self)
            #expect(atLimit.topics.first?.partitions.count == 100)
        }
    }
}
