import Testing

@testable import Broker

/// ``PersistedPartitionState/apply(_:)`` with events a damaged or hostile state log could hold:
/// it must not trap.
@Suite("PersistedPartitionState")
struct PersistedPartitionStateTests {
    @Test("acknowledging offsets wholly below the committed offset changes nothing")
    func acknowledgedBelowCommitted() {
        var state = PersistedPartitionState(committedOffset: 5, finished: [7...8])
        state.apply(.acknowledged([0...2, 4...4]))
        state.apply(.deadLettered(offset: 1))
        #expect(state == PersistedPartitionState(committedOffset: 5, finished: [7...8]))
        state.apply(.acknowledged([3...5]))
        #expect(state == PersistedPartitionState(committedOffset: 6, finished: [7...8]))
    }

    @Test("ranges reaching Int64.max or Int64.min do not overflow")
    func extremeRanges() {
        var state = PersistedPartitionState(committedOffset: 0)
        state.apply(.acknowledged([10...Int64.max]))
        #expect(state == PersistedPartitionState(committedOffset: 0, finished: [10...(Int64.max - 1)]))
        state.apply(.acknowledged([Int64.min...Int64.max]))
        #expect(state == PersistedPartitionState(committedOffset: Int64.max))
        state.apply(.deadLettered(offset: Int64.max))
        #expect(state == PersistedPartitionState(committedOffset: Int64.max))
        var negative = PersistedPartitionState(committedOffset: Int64.min)
        negative.apply(.acknowledged([Int64.min...Int64.min]))
        negative.apply(.acknowledged([(Int64.min + 5)...(Int64.min + 6)]))
        #expect(
            negative
                == PersistedPartitionState(committedOffset: Int64.min, finished: [(Int64.min + 5)...(Int64.min + 6)])
        )
    }

    @Test("counts at Int.max saturate")
    func saturatedCounts() {
        let record = DeliveryRecord(
            deliveryCount: Int.max,
            failureCount: Int.max,
            firstDeliveredAt: 0,
            lastDeliveredAt: 0,
            lastFailureReason: nil
        )
        var state = PersistedPartitionState(committedOffset: 0, deliveries: [3: record])
        state.apply(.delivered(offsets: [3], at: 9))
        state.apply(.failed(offset: 3, reason: "x"))
        #expect(state.deliveries[3]?.deliveryCount == Int.max)
        #expect(state.deliveries[3]?.failureCount == Int.max)
        #expect(state.deliveries[3]?.lastDeliveredAt == 9)
    }

    @Test("a redrive only raises the read limit; finishing offsets keeps it; a reset forgets it")
    func redriveLimit() {
        var state = PersistedPartitionState(committedOffset: 4)
        #expect(state.readLimit == nil)
        state.apply(.redriven(upTo: 10))
        state.apply(.redriven(upTo: 7))
        #expect(state.readLimit == 10)
        state.apply(.acknowledged([4...9]))
        #expect(state.committedOffset == 10 && state.readLimit == 10)
        state.apply(.redriven(upTo: 12))
        #expect(state.readLimit == 12)
        state.apply(.reset(committedOffset: 3))
        #expect(state == PersistedPartitionState(committedOffset: 3))
    }
}
