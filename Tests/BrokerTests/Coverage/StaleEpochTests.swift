import BrokerProtocol
import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// Producers whose epoch is behind: refused with `unknownProducer`, without touching the state of
/// the producer's current epoch.
@Suite("Stale producer epochs")
struct StaleEpochTests {
    typealias Table = ProducerStateTable

    static func entry(_ sequence: Int32, at offset: Int64) -> Table.BatchEntry {
        .init(firstSequence: sequence, lastSequence: sequence, baseOffset: offset, lastOffset: offset)
    }

    static func header(epoch: Int16, sequence: Int32) -> Table.BatchHeader {
        .init(producerID: 7, epoch: epoch, firstSequence: sequence, recordCount: 1)
    }

    @Test("a batch older than the producer's recorded epoch is refused; the newer epoch goes on")
    func olderEpochThanRecorded() throws {
        var table = Table(capacity: 4)
        table.record(producerID: 7, epoch: 3, entry: Self.entry(0, at: 0))
        table.record(producerID: 7, epoch: 3, entry: Self.entry(1, at: 1))
        // A zombie of epoch 2, with a sequence that would fit epoch 3's chain.
        var pending: [Int64: Table.Pending] = [:]
        let error = #expect(throws: BrokerError.self) {
            try table.check(
                Self.header(epoch: 2, sequence: 2),
                issued: IssuedProducers(idBound: 100, epoch: 2),
                pending: &pending
            )
        }
        #expect(error?.code == .unknownProducer)
        #expect(error?.message.contains("epoch 2 is older than 3") == true, "\(error.map { "\($0)" } ?? "")")
        #expect(pending.isEmpty, "a refused batch leaves nothing pending")
        #expect(table.producers[7]?.epoch == 3)
        // The current epoch's next batch is still accepted, and its retry is a duplicate.
        let issued = IssuedProducers(idBound: 100, epoch: 3)
        #expect(try table.check(Self.header(epoch: 3, sequence: 2), issued: issued, pending: &pending) == .append)
        pending = [:]
        #expect(
            try table.check(Self.header(epoch: 3, sequence: 1), issued: issued, pending: &pending)
                == .duplicate(Self.entry(1, at: 1))
        )
    }

    @Test("a newer epoch must start at sequence 0; at 0 it takes over from the older one")
    func newerEpochRestartsSequences() throws {
        var table = Table(capacity: 4)
        table.record(producerID: 7, epoch: 0, entry: Self.entry(0, at: 0))
        let issued = IssuedProducers(idBound: 100, epoch: 1)
        var pending: [Int64: Table.Pending] = [:]
        let error = #expect(throws: BrokerError.self) {
            try table.check(Self.header(epoch: 1, sequence: 1), issued: issued, pending: &pending)
        }
        #expect(error?.code == .outOfOrderSequence)
        #expect(try table.check(Self.header(epoch: 1, sequence: 0), issued: issued, pending: &pending) == .append)
    }

    @Test("over the wire, a produce with an epoch below the one issued is refused and appends nothing")
    func staleEpochOverTheWire() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "stale", partitions: 1)
            let id = try await ProduceSupport.initProducer(connection)
            let first = try await ProduceFetchTests.produce(
                connection,
                "stale",
                partition: 0,
                batchBytes(["a"], producer: ProduceSupport.identity(id, 0))
            )
            #expect(first.errorCode == .none)
            let stale = ProducerIdentity(
                producerId: id.producerID,
                producerEpoch: id.producerEpoch - 1,
                baseSequence: 1
            )
            let refused = try await ProduceFetchTests.produce(
                connection,
                "stale",
                partition: 0,
                batchBytes(["zombie"], producer: stale)
            )
            #expect(refused.errorCode == .unknownProducer, "\(refused.errorCode)")
            let next = try await ProduceFetchTests.produce(
                connection,
                "stale",
                partition: 0,
                batchBytes(["b"], producer: ProduceSupport.identity(id, 1))
            )
            #expect(next.errorCode == .none, "\(next.errorCode): \(next.errorMessage ?? "")")
            let values = try await ProduceSupport.fetchAll(connection, "stale").map { String(buffer: $0.value!) }
            #expect(values == ["a", "b"])
        }
    }
}
