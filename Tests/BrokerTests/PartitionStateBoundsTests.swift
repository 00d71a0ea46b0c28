import BrokerProtocol
import Testing

@testable import Broker

/// The bounds of a partition's producer table and message-id window.
@Suite("Producer table and message-id window bounds")
struct PartitionStateBoundsTests {
    static let issued = IssuedProducers(idBound: 1 << 40, epoch: 0)

    static func entry(_ sequence: Int32, at offset: Int64) -> ProducerStateTable.BatchEntry {
        .init(firstSequence: sequence, lastSequence: sequence, baseOffset: offset, lastOffset: offset)
    }

    @Test("a full producer table forgets the least recently used producer, however often others were used")
    func producerTableEvictsLeastRecentlyUsed() throws {
        var table = ProducerStateTable(capacity: 3)
        for id in Int64(0)..<3 { table.record(producerID: id, epoch: 0, entry: Self.entry(0, at: id)) }
        // Producer 0 is used again and again: 1 becomes the least recently used.
        for sequence in Int32(1)..<50 { table.record(producerID: 0, epoch: 0, entry: Self.entry(sequence, at: 0)) }
        table.record(producerID: 3, epoch: 0, entry: Self.entry(0, at: 3))
        #expect(Set(table.producers.keys) == [0, 2, 3])
        table.record(producerID: 4, epoch: 0, entry: Self.entry(0, at: 4))
        #expect(Set(table.producers.keys) == [0, 3, 4])
        #expect(table.producers[0]?.recent.count == ProducerStateTable.batchesRemembered)
        // The forgotten producer 1 may start again only at sequence 0.
        var pending: [Int64: ProducerStateTable.Pending] = [:]
        #expect(throws: BrokerError.self) {
            try table.check(
                .init(producerID: 1, epoch: 0, firstSequence: 1, recordCount: 1),
                issued: Self.issued,
                pending: &pending
            )
        }
    }

    @Test("the usage queue stays proportional to the producers, not to the batches")
    func producerTableUsageStaysBounded() {
        var table = ProducerStateTable(capacity: 10)
        for round in Int32(0)..<10_000 {
            table.record(producerID: Int64(round % 3), epoch: 0, entry: Self.entry(round, at: Int64(round)))
        }
        #expect(table.producers.count == 3)
        #expect(table.usageCount <= 2 * 3 + 16)
    }

    @Test("message ids are bounded by bytes: the oldest are forgotten when the next would pass the limit")
    func messageIDsBoundedByBytes() {
        let perID = 10 + MessageIDCache.overheadBytesPerID
        var cache = MessageIDCache(windowMilliseconds: 60_000, capacityBytes: 3 * perID)
        for index in 0..<4 {
            cache.insert(Array(repeating: UInt8(index), count: 10), offset: Int64(index), now: 1_000)
        }
        #expect(cache.count == 3 && cache.bytes == 3 * perID)
        #expect(cache.lookup(Array(repeating: 0, count: 10)) == nil, "the oldest went first")
        #expect(cache.lookup(Array(repeating: 3, count: 10)) == 3)
        // One big id pushes out as many small ones as it needs.
        cache.insert(Array(repeating: 9, count: 2 * perID - MessageIDCache.overheadBytesPerID), offset: 9, now: 1_000)
        #expect(cache.count == 2 && cache.bytes == 3 * perID)
        #expect(
            cache.lookup(Array(repeating: 3, count: 10)) == 3 && cache.lookup(Array(repeating: 2, count: 10)) == nil
        )
    }

    @Test("expired ids are released by expire(now:) alone, and time at the ends of Int64 does not trap")
    func messageIDsExpire() {
        var cache = MessageIDCache(windowMilliseconds: 100, capacityBytes: 1 << 20)
        cache.insert([1], offset: 0, now: Int64.min)
        cache.insert([2], offset: 1, now: 50)
        cache.expire(now: 120)
        #expect(cache.count == 1 && cache.lookup([2]) == 1)
        cache.expire(now: Int64.max)
        #expect(cache.count == 0 && cache.bytes == 0)
    }
}
