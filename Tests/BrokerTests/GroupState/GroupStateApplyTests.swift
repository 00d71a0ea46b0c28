import Testing

@testable import Broker

/// What the state log's replay relies on from ``PersistedPartitionState/apply(_:)``: any event a
/// record can hold applies without trapping.
@Suite("Group state apply")
struct GroupStateApplyTests {
    @Test("acknowledging or dead-lettering below the committed offset changes nothing (it trapped)")
    func finishBelowCommitted() {
        var state = PersistedPartitionState(committedOffset: 10, finished: [12...12])
        let before = state
        state.apply(.acknowledged([3...5]))
        state.apply(.deadLettered(offset: 9))
        #expect(state == before)
        // One event whose first range moves the committed offset past its second one.
        state.apply(.acknowledged([10...11, 10...10]))
        #expect(state == PersistedPartitionState(committedOffset: 13))
    }
}
