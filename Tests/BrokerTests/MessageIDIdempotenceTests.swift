import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

/// Message ids and idempotent sequences together: every answer is an offset that exists and holds
/// that record, and the producer's sequence chain carries on.
@Suite("Message ids composed with idempotent producers")
struct MessageIDIdempotenceTests {
    typealias S = ProduceSupport

    @Test(
        "a partly deduplicated idempotent batch and its retry are answered with offsets that hold the records",
        arguments: [Acks.written, .durable]
    )
    func partlyDeduplicatedRetry(acks: Acks) async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "mix", partitions: 1)
            let id = try await S.initProducer(connection)
            let first = try await ProduceFetchTests.produce(
                connection,
                "mix",
                partition: 0,
                RecordBatch(records: [S.record("m-1", "one")], producer: S.identity(id, 0)).buffer,
                acks: acks,
                hasMessageIDs: true
            )
            #expect(first.errorCode == .none && first.baseOffset == 0)
            let batch = RecordBatch(
                records: [
                    S.record("m-2", "two"), S.record("m-1", "dup"), S.record(nil, "three"), S.record("m-4", "four"),
                ],
                producer: S.identity(id, 1)
            ).buffer
            let mixed = try await ProduceFetchTests.produce(
                connection,
                "mix",
                partition: 0,
                batch,
                acks: acks,
                hasMessageIDs: true
            )
            let retry = try await ProduceFetchTests.produce(
                connection,
                "mix",
                partition: 0,
                batch,
                acks: acks,
                hasMessageIDs: true
            )
            let records = try await S.fetchAll(connection, "mix")
            #expect(records.map { String(buffer: $0.value!) } == ["one", "two", "three", "four"])
            let expected = ["two", "one", "three", "four"]
            S.expectOffsetsHold(mixed, values: expected, in: records)
            S.expectOffsetsHold(retry, values: expected, in: records)
            #expect(retry.recordOffsets == mixed.recordOffsets && retry.lastOffset == mixed.lastOffset)
            // The sequence chain carries on after the partly deduplicated batch.
            let next = try await ProduceFetchTests.produce(
                connection,
                "mix",
                partition: 0,
                RecordBatch(records: [S.record(nil, "five")], producer: S.identity(id, 5)).buffer,
                acks: acks,
                hasMessageIDs: true
            )
            #expect(next.errorCode == .none && next.baseOffset == 4, "\(next.errorCode) \(next.errorMessage ?? "")")
        }
    }

    @Test("an idempotent batch whose records are all message-id duplicates keeps the producer's sequence going")
    func allDuplicatesBatch() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "alldup", partitions: 1)
            let id = try await S.initProducer(connection)
            let first = try await ProduceFetchTests.produce(
                connection,
                "alldup",
                partition: 0,
                RecordBatch(records: [S.record("a", "A"), S.record("b", "B")], producer: S.identity(id, 0)).buffer,
                hasMessageIDs: true
            )
            #expect(first.errorCode == .none)
            let again = RecordBatch(
                records: [S.record("b", "B again"), S.record("a", "A again")],
                producer: S.identity(id, 2)
            ).buffer
            let duplicates = try await ProduceFetchTests.produce(
                connection,
                "alldup",
                partition: 0,
                again,
                hasMessageIDs: true
            )
            #expect(duplicates.errorCode == .none)
            #expect(duplicates.offset(ofRecordAt: 0) == 1 && duplicates.offset(ofRecordAt: 1) == 0)
            let retry = try await ProduceFetchTests.produce(
                connection,
                "alldup",
                partition: 0,
                again,
                hasMessageIDs: true
            )
            #expect(retry.errorCode == .none && retry.recordOffsets == [1, 0], "\(retry)")
            let next = try await ProduceFetchTests.produce(
                connection,
                "alldup",
                partition: 0,
                RecordBatch(records: [S.record("c", "C")], producer: S.identity(id, 4)).buffer,
                hasMessageIDs: true
            )
            #expect(next.errorCode == .none, "\(next.errorCode): \(next.errorMessage ?? "")")
            #expect(next.baseOffset == 2)
            #expect(try await S.fetchAll(connection, "alldup").map { String(buffer: $0.value!) } == ["A", "B", "C"])
        }
    }

    @Test("a re-encoded batch keeps its producer fields, and the sequence chain survives a restart")
    func reencodedBatchKeepsProducer() async throws {
        let directory = NSTemporaryDirectory() + "sluice-reencode-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var id: InitProducerResponse?
        for round in 0..<2 {
            let server = BrokerServer(configuration: BrokerConfiguration(dataDirectory: directory, port: 0))
            try await server.start()
            do {
                let connection = try await TestConnection(port: try #require(server.localPort))
                if round == 0 {
                    try await ProduceFetchTests.create(connection, "keep", partitions: 1)
                    let issued = try await S.initProducer(connection)
                    id = issued
                    _ = try await ProduceFetchTests.produce(
                        connection,
                        "keep",
                        partition: 0,
                        RecordBatch(records: [S.record("x", "X")], producer: S.identity(issued, 0)).buffer,
                        hasMessageIDs: true
                    )
                    let mixed = try await ProduceFetchTests.produce(
                        connection,
                        "keep",
                        partition: 0,
                        RecordBatch(
                            records: [S.record("x", "X again"), S.record("y", "Y"), S.record("z", "Z")],
                            producer: S.identity(issued, 1)
                        ).buffer,
                        hasMessageIDs: true
                    )
                    #expect(mixed.errorCode == .none)
                    let stored = try await S.fetchBatches(connection, "keep")
                    #expect(stored.count == 2)
                    #expect(stored.last?.producerId == issued.producerID, "the stored batch keeps its producer id")
                    #expect(stored.last?.producerEpoch == issued.producerEpoch)
                    // Its last sequence is the original batch's: 1 + 3 - 1 = 3.
                    if let last = stored.last { #expect(last.baseSequence + last.lastOffsetDelta == 3) }
                } else {
                    let next = try await ProduceFetchTests.produce(
                        connection,
                        "keep",
                        partition: 0,
                        RecordBatch(records: [S.record(nil, "W")], producer: S.identity(try #require(id), 4)).buffer,
                        hasMessageIDs: true
                    )
                    #expect(next.errorCode == .none, "\(next.errorCode): \(next.errorMessage ?? "")")
                    #expect(next.baseOffset == 3)
                }
                try await server.shutdown()
            } catch {
                try? await server.shutdown()
                throw error
            }
        }
    }

    @Test("binary message ids are bytes: 80 01 and FE 01 are different ids")
    func binaryIDs() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "binary", partitions: 1)
            let first = try await ProduceFetchTests.produce(
                connection,
                "binary",
                partition: 0,
                RecordBatch(records: [S.record(id: [0x80, 0x01], "first")]).buffer,
                hasMessageIDs: true
            )
            let second = try await ProduceFetchTests.produce(
                connection,
                "binary",
                partition: 0,
                RecordBatch(records: [S.record(id: [0xFE, 0x01], "second")]).buffer,
                hasMessageIDs: true
            )
            #expect(first.baseOffset == 0)
            #expect(second.baseOffset == 1, "a different id is a different message")
            let again = try await ProduceFetchTests.produce(
                connection,
                "binary",
                partition: 0,
                RecordBatch(records: [S.record(id: [0xFE, 0x01], "second again")]).buffer,
                hasMessageIDs: true
            )
            #expect(again.offset(ofRecordAt: 0) == 1)
            let values = try await S.fetchAll(connection, "binary").map { String(buffer: $0.value!) }
            #expect(values == ["first", "second"])
        }
    }

    @Test("two records with one message id in one entry: the second is dropped and answered with the first's offset")
    func duplicateWithinEntry() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "twice", partitions: 1)
            let result = try await ProduceFetchTests.produce(
                connection,
                "twice",
                partition: 0,
                S.entry([
                    RecordBatch(records: [S.record("k", "first"), S.record("k", "same batch")]).buffer,
                    RecordBatch(records: [S.record("k", "next batch"), S.record("l", "other")]).buffer,
                ]),
                hasMessageIDs: true
            )
            let records = try await S.fetchAll(connection, "twice")
            #expect(records.map { String(buffer: $0.value!) } == ["first", "other"])
            S.expectOffsetsHold(result, values: ["first", "first", "first", "other"], in: records)
        }
    }
}
