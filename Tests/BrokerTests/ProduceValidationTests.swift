import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

/// What a produce entry refuses, and that a refused entry leaves the log as it was.
@Suite("Produce validation: all or nothing, timestamps, producer identity")
struct ProduceValidationTests {
    typealias S = ProduceSupport

    static func logEnd(_ connection: TestConnection, _ topic: String) async throws -> Int64 {
        try await ProduceFetchTests.fetch(connection, topic, partition: 0, offset: 0).logEndOffset
    }

    @Test("an empty batch after a valid one fails the whole entry and appends nothing")
    func emptyBatchAfterValid() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "empty", partitions: 1)
            let result = try await ProduceFetchTests.produce(
                connection,
                "empty",
                partition: 0,
                S.entry([batchBytes(["fine"]), S.emptyBatch()])
            )
            #expect(result.errorCode == .corruptRecordBatch, "\(result.errorCode)")
            #expect(try await Self.logEnd(connection, "empty") == 0, "nothing of the refused entry is in the log")
        }
    }

    @Test("an out-of-order sequence in a later batch fails the whole entry and appends nothing")
    func outOfOrderLaterBatch() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "order", partitions: 1)
            let id = try await S.initProducer(connection)
            let refused = try await ProduceFetchTests.produce(
                connection,
                "order",
                partition: 0,
                S.entry([
                    batchBytes(["a", "b"], producer: S.identity(id, 0)),
                    batchBytes(["c"], producer: S.identity(id, 5)),
                ])
            )
            #expect(refused.errorCode == .outOfOrderSequence, "\(refused.errorCode)")
            #expect(try await Self.logEnd(connection, "order") == 0)
            // In order, both batches of one entry go in; a retry of the entry appends nothing.
            let entry = S.entry([
                batchBytes(["a", "b"], producer: S.identity(id, 0)),
                batchBytes(["c"], producer: S.identity(id, 2)),
            ])
            let accepted = try await ProduceFetchTests.produce(connection, "order", partition: 0, entry)
            #expect(accepted.errorCode == .none && accepted.baseOffset == 0 && accepted.lastOffset == 2)
            let retry = try await ProduceFetchTests.produce(connection, "order", partition: 0, entry)
            #expect(retry.errorCode == .none && retry.baseOffset == 0 && retry.lastOffset == 2)
            #expect(try await Self.logEnd(connection, "order") == 3)
        }
    }

    @Test("a bad timestamp in a later batch fails the whole entry and appends nothing")
    func badTimestampLaterBatch() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "late", partitions: 1)
            let result = try await ProduceFetchTests.produce(
                connection,
                "late",
                partition: 0,
                S.entry([batchBytes(["fine"]), batchBytes(["bad"], timestamp: -7)])
            )
            #expect(result.errorCode == .invalidTimestamp, "\(result.errorCode): \(result.errorMessage ?? "")")
            #expect(try await Self.logEnd(connection, "late") == 0)
        }
    }

    @Test(
        "timestamps below -1, at the ends of Int64 or far after the broker's clock are refused",
        arguments: [Int64.max, Int64.min, -2, -1_000, currentTimeMilliseconds() + 2 * 3_600_000]
    )
    func timestampOutOfRange(timestamp: Int64) async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "edge", partitions: 1)
            let result = try await ProduceFetchTests.produce(
                connection,
                "edge",
                partition: 0,
                batchBytes(["x"], timestamp: timestamp)
            )
            #expect(result.errorCode == .invalidTimestamp, "\(timestamp): \(result.errorCode)")
            #expect(try await Self.logEnd(connection, "edge") == 0)
        }
    }

    @Test(
        "valid timestamps are accepted: -1 (none), 0, now, a little ahead",
        arguments: [Int64(-1), 0, currentTimeMilliseconds(), currentTimeMilliseconds() + 600_000]
    )
    func timestampInRange(timestamp: Int64) async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "fine", partitions: 1)
            let result = try await ProduceFetchTests.produce(
                connection,
                "fine",
                partition: 0,
                batchBytes(["x"], timestamp: timestamp)
            )
            #expect(result.errorCode == .none, "\(timestamp): \(result.errorMessage ?? "")")
        }
    }

    @Test("a batch laid out as Kafka's Java client writes it (now, then far in the past) is accepted")
    func javaClientTimestamps() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "java", partitions: 1)
            let now = currentTimeMilliseconds()
            let timestamps = [now, 0, now - 10 * 365 * 86_400_000, now - 5]
            let result = try await ProduceFetchTests.produce(
                connection,
                "java",
                partition: 0,
                S.javaClientBatch(timestamps: timestamps)
            )
            #expect(result.errorCode == .none, "\(result.errorCode): \(result.errorMessage ?? "")")
            #expect(try await S.fetchAll(connection, "java").map(\.timestamp) == timestamps)
        }
    }

    @Test("a producer id the broker never issued is refused with unknownProducer")
    func unissuedProducerID() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "forged", partitions: 1)
            let forged = ProducerIdentity(producerId: 987_654_321, producerEpoch: 0, baseSequence: 0)
            let result = try await ProduceFetchTests.produce(
                connection,
                "forged",
                partition: 0,
                batchBytes(["x"], producer: forged)
            )
            #expect(result.errorCode == .unknownProducer, "\(result.errorCode)")
            // An issued id must start a partition at sequence 0.
            let id = try await S.initProducer(connection)
            let late = try await ProduceFetchTests.produce(
                connection,
                "forged",
                partition: 0,
                batchBytes(["y"], producer: S.identity(id, 17))
            )
            #expect(late.errorCode == .unknownProducer, "\(late.errorCode)")
            #expect(try await Self.logEnd(connection, "forged") == 0)
        }
    }

    @Test("a forged higher epoch is refused and does not lock the real producer out")
    func forgedEpoch() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "epoch", partitions: 1)
            let id = try await S.initProducer(connection)
            let real = try await ProduceFetchTests.produce(
                connection,
                "epoch",
                partition: 0,
                batchBytes(["a"], producer: S.identity(id, 0))
            )
            #expect(real.errorCode == .none)
            let forged = ProducerIdentity(
                producerId: id.producerID,
                producerEpoch: id.producerEpoch + 5,
                baseSequence: 0
            )
            let attack = try await ProduceFetchTests.produce(
                connection,
                "epoch",
                partition: 0,
                batchBytes(["evil"], producer: forged)
            )
            #expect(attack.errorCode == .unknownProducer, "\(attack.errorCode)")
            let next = try await ProduceFetchTests.produce(
                connection,
                "epoch",
                partition: 0,
                batchBytes(["b"], producer: S.identity(id, 1))
            )
            #expect(next.errorCode == .none, "\(next.errorCode): \(next.errorMessage ?? "")")
            #expect(try await S.fetchAll(connection, "epoch").map { String(buffer: $0.value!) } == ["a", "b"])
        }
    }
}
