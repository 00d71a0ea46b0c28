import NIOCore
import RecordCodec
import Testing

@testable import BrokerClient

/// How a group member finds each delivered offset among the records of a push: per batch, by
/// binary search, without copying the batches' records into one array.
@Suite struct GroupPushLookupTests {
    private func records(_ offsets: [Int64]) -> [Record] {
        offsets.map { Record(value: ByteBuffer(string: "v\($0)"), timestamp: 0, offset: $0) }
    }

    @Test func findsEachOffsetInItsBatchAndNothingElse() {
        let batches = [records([3, 4, 5]), records([6, 7]), records([10, 12])]
        for offset: Int64 in [3, 4, 5, 6, 7, 10, 12] {
            #expect(GroupConsumer.record(at: offset, in: batches)?.offset == offset)
        }
        for offset: Int64 in [-1, 0, 2, 8, 9, 11, 13, Int64.max, Int64.min] {
            #expect(GroupConsumer.record(at: offset, in: batches) == nil, "\(offset)")
        }
        #expect(GroupConsumer.record(at: 3, in: [[Record]]()) == nil)
    }

    @Test func aSingleBatchIsSearchedAsSorted() {
        let batch = records([0, 1, 2, 5, 9])
        #expect(GroupConsumer.record(at: 5, in: batch)?.offset == 5)
        #expect(GroupConsumer.record(at: 3, in: batch) == nil)
        #expect(GroupConsumer.record(at: 10, in: batch) == nil)
    }
}
