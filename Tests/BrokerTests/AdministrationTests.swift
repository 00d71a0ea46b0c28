import Broker
import BrokerProtocol
import Foundation
import NIOCore
import Testing

@Suite("Topic administration and protocol errors")
struct AdministrationTests {
    @Test("create, list, describe, add partitions and delete a topic")
    func lifecycle() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "orders", partitions: 2)
            let duplicate = try await connection.call(
                CreateTopicRequest(topic: "orders", partitionCount: 1),
                as: CreateTopicResponse.self
            )
            #expect(duplicate.result.errorCode == .topicAlreadyExists)
            _ = try await ProduceFetchTests.produce(connection, "orders", partition: 0, batchBytes(["a", "b"]))

            let described = try await connection.call(
                DescribeTopicRequest(topic: "orders"),
                as: DescribeTopicResponse.self
            )
            #expect(described.partitions.map(\.logEndOffset) == [2, 0])
            #expect(described.partitions.allSatisfy { $0.segmentCount == 1 })

            let grown = try await connection.call(
                AddPartitionsRequest(topic: "orders", partitionCount: 4),
                as: AddPartitionsResponse.self
            )
            #expect(grown.result.errorCode == .none)
            let shrink = try await connection.call(
                AddPartitionsRequest(topic: "orders", partitionCount: 3),
                as: AddPartitionsResponse.self
            )
            #expect(shrink.result.errorCode == .invalidTopicConfiguration)
            let listed = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(listed.topics == [.init(topic: "orders", partitionCount: 4)])

            let deleted = try await connection.call(DeleteTopicRequest(topic: "orders"), as: DeleteTopicResponse.self)
            #expect(deleted.result.errorCode == .none)
            #expect(try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self).topics.isEmpty)
            let gone = try await connection.call(DescribeTopicRequest(topic: "orders"), as: DescribeTopicResponse.self)
            #expect(gone.result.errorCode == .unknownTopic)
            // The name can be used again, from scratch.
            try await ProduceFetchTests.create(connection, "orders", partitions: 1)
            let fresh = try await connection.call(DescribeTopicRequest(topic: "orders"), as: DescribeTopicResponse.self)
            #expect(fresh.partitions.map(\.logEndOffset) == [0])
        }
    }

    @Test(
        "bad topic names are refused and never touch the file system",
        arguments: [
            ("", ErrorCode.invalidTopicName), (".", .invalidTopicName), ("..", .invalidTopicName),
            ("../escape", .invalidTopicName), ("a/b", .invalidTopicName),
            (String(repeating: "x", count: 250), .invalidTopicName),
            ("spaces here", .invalidTopicName), ("__internal", .reservedTopicName),
        ]
    )
    func badNames(name: String, code: ErrorCode) async throws {
        try await withBroker { server, port in
            let connection = try await TestConnection(port: port)
            let response = try await connection.call(
                CreateTopicRequest(topic: name, partitionCount: 1),
                as: CreateTopicResponse.self
            )
            #expect(response.result.errorCode == code)
            let entries = try FileManager.default.contentsOfDirectory(atPath: server.configuration.dataDirectory)
            #expect(entries.allSatisfy { !$0.contains("escape") && $0 != name })
        }
    }

    @Test("partition counts and settings out of range are refused", arguments: [0, -1, 1025] as [Int32])
    func badPartitionCounts(count: Int32) async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            let response = try await connection.call(
                CreateTopicRequest(topic: "t", partitionCount: count),
                as: CreateTopicResponse.self
            )
            #expect(response.result.errorCode == .invalidTopicConfiguration)
        }
    }

    @Test("auto-creation is off by default and creates the topic when turned on")
    func autoCreate() async throws {
        try await withBroker({ $0.autoCreateTopics = true }) { _, port in
            let connection = try await TestConnection(port: port)
            let result = try await ProduceFetchTests.produce(
                connection,
                "made-on-demand",
                partition: 0,
                batchBytes(["x"])
            )
            #expect(result.errorCode == .none)
        }
    }

    @Test("an unknown API or version gets an error response and the connection stays open")
    func unknownAPI() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            var buffer = ByteBuffer()
            RequestFrame(
                header: RequestHeader(apiKey: APIKey(rawValue: 999), apiVersion: 0, correlationID: 5),
                body: ByteBuffer()
            )
            .write(into: &buffer)
            try await connection.sendRaw(Array(buffer.readableBytesView))
            #expect(try await connection.response(5).errorCode == .unsupportedAPI)
            try await connection.send(ListTopicsRequest(), correlationID: 6, version: 7)
            #expect(try await connection.response(6).errorCode == .unsupportedVersion)
            _ = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(!connection.isClosed)
        }
    }

    @Test("a body that does not decode is answered with malformedRequest, then the connection closes")
    func malformedBody() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            var buffer = ByteBuffer()
            var body = ByteBuffer()
            body.writeInteger(UInt16(10))  // a topic name of 10 bytes, but only 2 follow
            body.writeString("ab")
            RequestFrame(header: RequestHeader(apiKey: .describeTopic, apiVersion: 0, correlationID: 8), body: body)
                .write(into: &buffer)
            try await connection.sendRaw(Array(buffer.readableBytesView))
            let response = try await connection.response(8)
            #expect(response.errorCode == .malformedRequest)
            #expect(response.errorMessage?.contains("topic") == true)
            try await connection.waitUntilClosed()
        }
    }

    @Test("oversized frames, short frames and random bytes close that connection; other clients carry on")
    func badFrames() async throws {
        try await withBroker({ $0.limits.maxFrameBytes = 1 << 20 }) { _, port in
            let bystander = try await TestConnection(port: port)
            try await ProduceFetchTests.create(bystander, "safe", partitions: 1)

            let oversized = try await TestConnection(port: port)
            try await oversized.sendRaw([0x7F, 0xFF, 0xFF, 0xFF])
            let error = try await oversized.response(0)
            #expect(error.errorCode == .frameTooLarge)
            try await oversized.waitUntilClosed()

            let short = try await TestConnection(port: port)
            try await short.sendRaw([0, 0, 0, 3, 1, 2, 3])
            #expect(try await short.response(0).errorCode == .malformedRequest)
            try await short.waitUntilClosed()

            var generator = SystemRandomNumberGenerator()
            for _ in 0..<10 {
                let noise = try await TestConnection(port: port)
                let bytes = (0..<Int.random(in: 1...4096, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                try await noise.sendRaw(bytes)
                try? await noise.channel.close()
            }
            let result = try await ProduceFetchTests.produce(
                bystander,
                "safe",
                partition: 0,
                batchBytes(["still here"])
            )
            #expect(result.errorCode == .none)
            let fetched = try await ProduceFetchTests.fetch(bystander, "safe", partition: 0, offset: 0)
            #expect(try decodeRecords(fetched.records).count == 1)
        }
    }

    @Test("many requests in flight on one connection are all answered, matched by correlation id")
    func pipelining() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "pipe", partitions: 4)
            for id in UInt32(1)...200 {
                try await connection.send(
                    ProduceRequest(
                        acks: .written,
                        topic: "pipe",
                        partitions: [.init(partition: Int32(id % 4), records: batchBytes(["\(id)"]))]
                    ),
                    correlationID: id
                )
            }
            var offsets: [Int32: [Int64]] = [:]
            for id in UInt32(1)...200 {
                let frame = try await connection.response(id)
                let result = try #require(try ProduceResponse.decode(frame.body).partitions.first)
                #expect(result.errorCode == .none)
                offsets[result.partition, default: []].append(result.baseOffset)
            }
            #expect(offsets.values.allSatisfy { Set($0).count == 50 && Set($0) == Set(0..<50) })
        }
    }
}
