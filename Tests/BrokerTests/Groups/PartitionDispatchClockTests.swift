import Testing

@testable import Broker

/// Ack timeouts and backoffs run on the monotonic clock the caller passes (`now`); the wall clock
/// (`wallClock`) is only recorded (docs/GROUPS.md): a wall-clock jump moves no deadline.
@Suite("PartitionDispatch and wall-clock jumps")
struct PartitionDispatchClockTests {
    @Test("a wall clock that jumps back 57 years, then forward, between deliveries moves no ack deadline")
    func ackDeadlinesIgnoreTheWallClock() {
        let harness = DispatchHarness {
            $0.ackTimeoutMilliseconds = 100
            $0.backoffInitialMilliseconds = 0
        }
        harness.add([0, 1, 2])
        #expect(harness.takeDeliveries(1, now: 0, wallClock: 1_800_000_000_000).map(\.offset) == [0])
        #expect(harness.takeDeliveries(1, now: 10, wallClock: 1_000).map(\.offset) == [1])
        #expect(harness.takeDeliveries(1, now: 20, wallClock: 4_000_000_000_000).map(\.offset) == [2])
        #expect(harness.dispatch.nextDeadline == 100)
        #expect(harness.expire(now: 99).isEmpty)
        #expect(harness.expire(now: 100) == [Dispatch.Revoked(offset: 0, member: "a")])
        #expect(harness.expire(now: 110) == [Dispatch.Revoked(offset: 1, member: "a")])
        #expect(harness.expire(now: 119).isEmpty)
        #expect(harness.expire(now: 120) == [Dispatch.Revoked(offset: 2, member: "a")])
        harness.drain()
    }
}
