import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import NIOPosix
import RecordCodec
import Testing

@testable import Broker

@Suite("Review findings against an embedded broker")
struct ReviewFindingsTests {
    @Test("concurrent creates of one topic: exactly one succeeds, the others get topicAlreadyExists")
    func concurrentCreates() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            // Pipelined on one connection: the broker runs them as concurrent tasks.
            let ids: [UInt32] = Array(1...8)
            for id in ids {
                try await connection.send(CreateTopicRequest(topic: "race", partitionCount: 3), correlationID: id)
            }
            var codes: [ErrorCode] = []
            for id in ids {
                let frame = try await connection.response(id)
                #expect(frame.errorCode == .none)
                let result = try CreateTopicResponse.decode(frame.body).result
                codes.append(result.errorCode)
            }
            #expect(codes.filter { $0 == .none }.count == 1, "\(codes)")
            #expect(codes.filter { $0 == .topicAlreadyExists }.count == ids.count - 1, "\(codes)")
            _ = try await ProduceFetchTests.produce(connection, "race", partition: 2, batchBytes(["ok"]))
        }
    }

    @Test("concurrent add-partitions to one total: one succeeds and the topic has exactly that many")
    func concurrentAddPartitions() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "grow", partitions: 1)
            let ids: [UInt32] = Array(1...4)
            for id in ids {
                try await connection.send(AddPartitionsRequest(topic: "grow", partitionCount: 3), correlationID: id)
            }
            var codes: [ErrorCode] = []
            for id in ids {
                let frame = try await connection.response(id)
                codes.append(try AddPartitionsResponse.decode(frame.body).result.errorCode)
            }
            #expect(codes.filter { $0 == .none }.count == 1, "\(codes)")
            #expect(codes.filter { $0 == .invalidTopicConfiguration }.count == ids.count - 1, "\(codes)")
            let listed = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(listed.topics == [.init(topic: "grow", partitionCount: 3)])
        }
    }

    @Test("a topic re-created while its deletion runs is a fresh topic that stays on disk")
    func deleteRacingCreate() async throws {
        try await withBroker { server, port in
            let connection = try await TestConnection(port: port)
            var correlationID: UInt32 = 100
            for round in 0..<5 {
                let name = "phoenix\(round)"
                try await ProduceFetchTests.create(connection, name, partitions: 2)
                _ = try await ProduceFetchTests.produce(connection, name, partition: 0, batchBytes(["old", "data"]))
                correlationID += 2
                try await connection.send(DeleteTopicRequest(topic: name), correlationID: correlationID)
                try await connection.send(
                    CreateTopicRequest(topic: name, partitionCount: 2),
                    correlationID: correlationID + 1
                )
                let deleted = try DeleteTopicResponse.decode(try await connection.response(correlationID).body)
                let created = try CreateTopicResponse.decode(try await connection.response(correlationID + 1).body)
                #expect(deleted.result.errorCode == .none)
                #expect(
                    created.result.errorCode == .none || created.result.errorCode == .topicAlreadyExists,
                    "\(created.result.errorCode): \(created.result.errorMessage ?? "")"
                )
                guard created.result.errorCode == .none else { continue }
                let described = try await connection.call(
                    DescribeTopicRequest(topic: name),
                    as: DescribeTopicResponse.self
                )
                #expect(described.partitions.map(\.logEndOffset) == [0, 0], "the new topic must not serve old data")
                let settings = server.configuration.dataDirectory + "/" + name + "/" + "topic.json"
                #expect(FileManager.default.fileExists(atPath: settings), "the new topic must survive a restart")
            }
        }
    }

    @Test("idempotent sequences wrap from Int32.max to 0, as the client numbers them")
    func sequenceWrapAround() throws {
        // A producer new to a partition must start at sequence 0 (anything else is unknownProducer),
        // so the wrap is reached through the table: a producer whose last batch ended at Int32.max - 1.
        var table = ProducerStateTable(capacity: 10)
        let issued = IssuedProducers(idBound: 1, epoch: 0)
        table.record(
            producerID: 0,
            epoch: 0,
            entry: .init(firstSequence: Int32.max - 3, lastSequence: Int32.max - 2, baseOffset: 0, lastOffset: 1)
        )
        func check(_ first: Int32, count: Int32) throws -> ProducerStateTable.Decision {
            var pending: [Int64: ProducerStateTable.Pending] = [:]
            return try table.check(
                .init(producerID: 0, epoch: 0, firstSequence: first, recordCount: count),
                issued: issued,
                pending: &pending
            )
        }
        // Sequences Int32.max - 1, Int32.max, 0: the next batch starts at 1.
        #expect(try check(Int32.max - 1, count: 3) == .append)
        let wrapped = ProducerStateTable.BatchEntry(
            firstSequence: Int32.max - 1,
            lastSequence: ProducerStateTable.sequence(Int32.max - 1, plus: 2),
            baseOffset: 2,
            lastOffset: 4
        )
        #expect(wrapped.lastSequence == 0)
        table.record(producerID: 0, epoch: 0, entry: wrapped)
        #expect(try check(1, count: 1) == .append)
        #expect(try check(Int32.max - 1, count: 3) == .duplicate(wrapped), "a retry is still recognised")
        #expect(throws: BrokerError.self) { try check(2, count: 1) }
    }

    @Test("a frame limit past UInt32.max is announced as UInt32.max in the handshake, not a crash")
    func hugeFrameLimitHandshake() async throws {
        try await withBroker({ $0.limits.maxFrameBytes = Int(UInt32.max) + 1 }) { _, port in
            let connection = try await TestConnection(port: port)
            let handshake = try await connection.call(
                HandshakeRequest(clientName: "review"),
                as: HandshakeResponse.self
            )
            #expect(handshake.maxFrameBytes == UInt32.max)
        }
    }

    @Test("a long-polling fetch is answered when the broker shuts down, not cut off")
    func longPollAnsweredAtShutdown() async throws {
        try await withBroker { server, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "idle", partitions: 1)
            try await connection.sendLongPoll("idle", maxWaitMilliseconds: 30_000, correlationID: 77)
            // Shut down only once the fetch waits for an append (bounded: 60 s).
            try await server.waitForParkedFetches("idle")
            async let stopped: Void = server.shutdown()
            let frame = try await connection.response(77, timeoutSeconds: 60)
            try await stopped
            #expect(frame.errorCode == .none)
            let partition = try #require(try FetchResponse.decode(frame.body).topics.first?.partitions.first)
            #expect(partition.errorCode == .none)
            #expect(partition.records.readableBytes == 0)
        }
    }
}

@Suite("Review findings: a partition after close")
struct ClosedPartitionTests {
    @Test("an offset lookup on a closed partition answers shuttingDown and never touches the closed log")
    func offsetLookupAfterClose() async throws {
        let directory = NSTemporaryDirectory() + "sluice-closed-partition-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let scheduler = FlushScheduler()
        defer { scheduler.shutdown() }
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        let log = try PartitionLog.open(directory: directory + "/0", scheduler: scheduler)
        let partition = Partition(
            topic: "t",
            index: 0,
            log: SendableLog(log),
            state: try Partition.recoverState(from: log, configuration: configuration),
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            configuration: configuration
        )
        _ = try await partition.append(
            batchBytes(["a"]),
            hasMessageIDs: false,
            acks: .written,
            issued: IssuedProducers(idBound: 0, epoch: 0)
        ).get()
        try await partition.close(on: threadPool).get()
        let read = try await partition.read(from: 0, maxBytes: 1 << 20).get()
        #expect(read.errorCode == .shuttingDown)
        let offset = try await partition.offset(for: 500).get()
        #expect(offset.errorCode == .shuttingDown, "\(offset.errorCode): \(offset.errorMessage ?? "")")
        try await threadPool.shutdownGracefully()
    }
}
