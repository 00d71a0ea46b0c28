import Testing

@testable import Broker

/// ``TimerHeap`` pops in `(due, offset)` order, also after removing entries in bulk.
@Suite("TimerHeap")
struct TimerHeapTests {
    @Test("random inserts, pops and bulk removals agree with a sorted array", arguments: [UInt64(1), 2, 3])
    func againstSortedArray(seed: UInt64) {
        var random = SplitMixGenerator(seed: seed)
        var heap = TimerHeap()
        var model: [TimerHeap.Entry] = []
        for step in 0..<3_000 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let entry = TimerHeap.Entry(
                    due: Int64.random(in: -20...20, using: &random),
                    offset: Int64.random(in: 0...50, using: &random)
                )
                heap.insert(due: entry.due, offset: entry.offset)
                model.append(entry)
            case 5..<9:
                model.sort(by: <)
                let expected = model.isEmpty ? nil : model.removeFirst()
                #expect(heap.removeFirst() == expected, "seed \(seed), step \(step)")
            default:
                let cut = Int64.random(in: 0...50, using: &random)
                heap.removeAll { $0.offset < cut }
                model.removeAll { $0.offset < cut }
            }
            #expect(heap.count == model.count)
            #expect(heap.first == model.min(by: <), "seed \(seed), step \(step)")
        }
    }
}
