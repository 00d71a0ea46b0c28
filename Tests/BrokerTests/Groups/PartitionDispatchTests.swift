import Testing

@testable import Broker

/// The rules of ``PartitionDispatch`` one by one: ordering modes, the window, acks (hostile ones
/// too), failures, backoff, timeouts, dead letters, gaps and retention. Every step checks that the
/// drained events rebuild ``PartitionDispatch/persistedState`` (see ``DispatchHarness``).
@Suite("PartitionDispatch")
struct PartitionDispatchTests {
    @Test("a message goes out once, its ack finishes it and moves the committed offset")
    func deliverAndAck() {
        let harness = DispatchHarness()
        harness.add([0, 1, 2])
        #expect(harness.take(2) == [0, 1])
        #expect(harness.allEvents.last == .delivered(offsets: [0, 1], at: 1_000))
        #expect(harness.dispatch.inFlightCount == 2)
        #expect(harness.dispatch.inFlightCount(of: "a") == 2)
        #expect(harness.ack([1]) == [.accepted])
        #expect(harness.dispatch.committedOffset == 0)
        #expect(harness.ack([0]) == [.accepted])
        #expect(harness.dispatch.committedOffset == 2)
        #expect(harness.take() == [2])
        #expect(harness.ack([2]) == [.accepted])
        #expect(harness.dispatch.committedOffset == 3)
        #expect(harness.dispatch.unfinishedCount == 0)
        #expect(harness.dispatch.inFlightByMember.isEmpty)
        #expect(harness.replayed == PersistedPartitionState(committedOffset: 3))
    }

    @Test("key mode: one in flight per key, in offset order; other keys and keyless messages go on")
    func keyOrdering() {
        let harness = DispatchHarness()
        harness.add([0, 1, 2, 3, 4], keys: [7, 7, 8, nil, 7])
        #expect(harness.take() == [0, 2, 3])
        #expect(harness.take() == [])
        // A failing message of key 7 holds back only key 7, also during its backoff.
        #expect(harness.nack(0, by: "a", delay: 50, reason: "busy", now: 0) == .accepted)
        harness.drain()
        #expect(harness.take(now: 49) == [])
        #expect(harness.ack([2, 3]) == [.accepted, .accepted])
        #expect(harness.take(now: 49) == [])
        #expect(harness.take(now: 50) == [0])
        harness.ack([0])
        #expect(harness.take(now: 50) == [1])
        harness.ack([1])
        #expect(harness.take(now: 50) == [4])
    }

    @Test("partition mode: one message in flight, strict order, a failure blocks the partition")
    func partitionOrdering() {
        let harness = DispatchHarness { $0.ordering = .partition }
        harness.add([0, 1, 2], keys: [1, 2, nil])
        #expect(harness.take() == [0])
        #expect(harness.take(for: "b") == [])
        #expect(harness.nack(0, by: "a", delay: 10, reason: nil, now: 0) == .accepted)
        harness.drain()
        #expect(harness.take(for: "b", now: 9) == [])
        #expect(harness.take(for: "b", now: 10) == [0])
        #expect(harness.ack([0], by: "b") == [.accepted])
        #expect(harness.take(now: 10) == [1])
    }

    @Test("none mode: everything at once")
    func noOrdering() {
        let harness = DispatchHarness { $0.ordering = .none }
        harness.add([0, 1, 2], keys: [1, 1, 1])
        #expect(harness.take() == [0, 1, 2])
    }

    @Test("the window counts unfinished messages: records beyond it stay unread")
    func window() {
        let harness = DispatchHarness { $0.maxUnfinishedPerPartition = 2 }
        harness.add([0, 1, 2, 3])
        #expect(harness.dispatch.nextReadOffset == 2)
        #expect(!harness.dispatch.wantsRecords)
        #expect(harness.take() == [0, 1])
        // A stuck message does not stop the partition while the window has room.
        harness.ack([1])
        #expect(harness.dispatch.wantsRecords)
        harness.add([2, 3])
        #expect(harness.dispatch.nextReadOffset == 3)
        #expect(harness.take() == [2])
        #expect(harness.dispatch.unfinishedCount == 2)
        #expect(harness.dispatch.committedOffset == 0)
    }

    @Test("offsets missing from the log are finished, so the committed offset passes them")
    func gaps() {
        let harness = DispatchHarness()
        harness.add([3, 5], readUpTo: 9)
        #expect(harness.allEvents == [.acknowledged([0...2, 4...4, 6...8])])
        #expect(harness.dispatch.committedOffset == 3)
        #expect(harness.take() == [3, 5])
        harness.ack([3, 5])
        #expect(harness.dispatch.committedOffset == 9)
        // Records below what was read are ignored; an empty read moves the position.
        harness.add([1, 2], readUpTo: 9)
        harness.add([], readUpTo: 12)
        #expect(harness.dispatch.committedOffset == 12)
        #expect(harness.dispatch.unfinishedCount == 0)
    }

    @Test("nack, reject, extend of a message held by another member are refused")
    func otherMembersMessages() {
        let harness = DispatchHarness()
        harness.add([0])
        #expect(harness.take(for: "a") == [0])
        #expect(harness.nack(0, by: "b", delay: nil, reason: nil, now: 0) == .notDelivered)
        #expect(harness.reject(0, by: "b", reason: nil) == .notDelivered)
        #expect(harness.extend(0, by: "b", now: 0) == .notDelivered)
        #expect(harness.ack([0], by: "b") == [.notDelivered])
        #expect(harness.dispatch.inFlightCount(of: "a") == 1)
        harness.drain()
    }

    @Test("a nack waits for the backoff, or for its own delay, and counts as a failure")
    func nackBackoff() {
        let harness = DispatchHarness {
            $0.backoffInitialMilliseconds = 100
            $0.backoffMultiplierPercent = 200
            $0.backoffMaxMilliseconds = 1_000
        }
        harness.add([0])
        #expect(harness.take(now: 0) == [0])
        #expect(harness.nack(0, by: "a", delay: nil, reason: "oops", now: 0) == .accepted)
        #expect(harness.drain() == [.failed(offset: 0, reason: "oops")])
        let due = harness.dispatch.nextDeadline
        #expect(due.map { (50...100).contains($0) } == true)
        #expect(harness.take(now: (due ?? 0) - 1) == [])
        #expect(harness.take(now: due ?? 0) == [0])
        // The second failure waits 200 ms (jittered between 100 and 200); a delay replaces it.
        #expect(harness.nack(0, by: "a", delay: 5_000, reason: nil, now: 200) == .accepted)
        harness.drain()
        #expect(harness.dispatch.nextDeadline == 5_200)
        #expect(harness.take(now: 5_199) == [])
        let deliveries = harness.dispatch.take(upTo: 1, for: "a", now: 5_200, wallClock: 9)
        #expect(deliveries == [Dispatch.Delivery(offset: 0, deliveryCount: 3)])
        harness.drain()
        #expect(
            harness.dispatch.persistedState.deliveries[0]
                == DeliveryRecord(
                    deliveryCount: 3,
                    failureCount: 2,
                    firstDeliveredAt: 1_000,
                    lastDeliveredAt: 9,
                    lastFailureReason: nil
                )
        )
    }

    @Test("an ack timeout fails the delivery with a backoff; extend moves the deadline")
    func ackTimeout() {
        let harness = DispatchHarness {
            $0.ackTimeoutMilliseconds = 100
            $0.backoffInitialMilliseconds = 0
        }
        harness.add([0, 1])
        #expect(harness.take(now: 0) == [0, 1])
        #expect(harness.dispatch.nextDeadline == 100)
        #expect(harness.extend(0, by: "a", now: 60) == .accepted)
        harness.drain()
        #expect(harness.expire(now: 99).isEmpty)
        let expired = harness.expire(now: 100)
        #expect(expired == [Dispatch.Revoked(offset: 1, member: "a")])
        #expect(harness.drain() == [.failed(offset: 1, reason: Dispatch.ackTimeoutReason)])
        #expect(harness.dispatch.hasReady)  // backoff 0: dispatchable at once
        #expect(harness.dispatch.nextDeadline == 160)
        #expect(harness.ack([1]) == [.notDelivered])
        #expect(harness.take(for: "b", now: 100) == [1])
        #expect(harness.expire(now: 159).isEmpty)
        #expect(harness.expire(now: 160) == [Dispatch.Revoked(offset: 0, member: "a")])
        harness.drain()
    }

    @Test("after maxDeliveries failures a message is dead-lettered, then finished when written")
    func maxDeliveries() {
        let harness = DispatchHarness {
            $0.maxDeliveries = 3
            $0.backoffInitialMilliseconds = 0
        }
        harness.add([0, 1], keys: [4, 4])
        for attempt in 1...3 {
            #expect(harness.take(now: 0) == [0], "attempt \(attempt)")
            #expect(harness.nack(0, by: "a", delay: nil, reason: "bad \(attempt)", now: 0) == .accepted)
            harness.drain()
        }
        #expect(harness.deadLetters.map(\.offset) == [0])
        #expect(harness.deadLetters.first?.reason == "bad 3")
        #expect(harness.deadLetters.first?.record.deliveryCount == 3)
        #expect(harness.deadLetters.first?.record.failureCount == 3)
        #expect(harness.dispatch.pendingDeadLetters().map(\.offset) == [0])
        // Still unfinished: it holds back its key and counts in the window.
        #expect(harness.take(now: 0) == [])
        #expect(harness.dispatch.unfinishedCount == 2)
        #expect(harness.ack([0]) == [.notDelivered])
        #expect(harness.deadLetterWritten(0))
        #expect(harness.drain() == [.deadLettered(offset: 0)])
        #expect(!harness.deadLetterWritten(0))
        #expect(harness.dispatch.committedOffset == 1)
        #expect(harness.take(now: 0) == [1])
    }

    @Test("a reject dead-letters at once and survives a restart before the dead letter is written")
    func rejectAndRestore() {
        let harness = DispatchHarness { $0.maxDeliveries = 4 }
        harness.add([0, 1])
        #expect(harness.take() == [0, 1])
        #expect(harness.reject(0, by: "a", reason: "poison") == .accepted)
        let events = harness.drain()
        #expect(events == Array(repeating: .failed(offset: 0, reason: "poison"), count: 4))
        #expect(harness.deadLetters.map(\.reason) == ["poison"])
        // A crash before the dead letter is written: the restored dispatcher dead-letters it again.
        let restored = DispatchHarness({ $0.maxDeliveries = 4 }, restoring: harness.dispatch.persistedState, seed: 2)
        #expect(restored.dispatch.persistedState == harness.dispatch.persistedState)
        restored.add([0, 1])
        #expect(restored.deadLetters.map(\.offset) == [0])
        #expect(restored.deadLetters.first?.reason == "poison")
        #expect(restored.take(now: 0) == [1])
        #expect(restored.takeDeliveries(1, now: 0, wallClock: 0).isEmpty)
    }

    @Test("a dropped connection redelivers at once and counts; a clean leave does not count")
    func memberLeft() {
        let harness = DispatchHarness { $0.maxDeliveries = 2 }
        harness.add([0, 1, 2])
        #expect(harness.take(2, for: "a") == [0, 1])
        #expect(harness.take(1, for: "b") == [2])
        #expect(harness.memberLeft("a", failed: true, now: 0) == [0, 1])
        #expect(
            harness.drain() == [
                .failed(offset: 0, reason: Dispatch.connectionClosedReason),
                .failed(offset: 1, reason: Dispatch.connectionClosedReason),
            ]
        )
        #expect(harness.dispatch.inFlightCount(of: "a") == 0)
        #expect(harness.take(for: "c", now: 0) == [0, 1])
        #expect(harness.memberLeft("b", failed: false, now: 0) == [2])
        #expect(harness.drain() == [])
        #expect(harness.memberLeft("nobody", failed: true, now: 0) == [])
        #expect(harness.drain() == [])
        // The second failure of 0 and 1 is their last: dead-lettered, not redelivered.
        #expect(harness.memberLeft("c", failed: true, now: 0) == [0, 1])
        harness.drain()
        #expect(harness.deadLetters.map(\.offset) == [0, 1])
        #expect(harness.take(for: "d", now: 0) == [2])
    }

    @Test("restoring: finished offsets are skipped, delivery counts continue")
    func restore() {
        let record = DeliveryRecord(
            deliveryCount: 2,
            failureCount: 1,
            firstDeliveredAt: 5,
            lastDeliveredAt: 6,
            lastFailureReason: "x"
        )
        let state = PersistedPartitionState(
            committedOffset: 10,
            finished: [11...12, 15...15],
            deliveries: [13: record]
        )
        let harness = DispatchHarness(restoring: state)
        #expect(harness.dispatch.persistedState == state)
        #expect(harness.dispatch.nextReadOffset == 10)
        harness.add(Array(8...16))
        let deliveries = harness.dispatch.take(upTo: 10, for: "a", now: 0, wallClock: 7)
        harness.drain()
        #expect(deliveries.map(\.offset) == [10, 13, 14, 16])
        #expect(deliveries.map(\.deliveryCount) == [1, 3, 1, 1])
        harness.ack([10])
        #expect(harness.dispatch.committedOffset == 13)
        harness.ack([13, 14, 16])
        #expect(harness.dispatch.committedOffset == 17)
    }

    @Test("restoring a state not in normal form normalises it")
    func restoreUnnormalised() {
        let record = DeliveryRecord(
            deliveryCount: 1,
            failureCount: 0,
            firstDeliveredAt: 0,
            lastDeliveredAt: 0,
            lastFailureReason: nil
        )
        let state = PersistedPartitionState(
            committedOffset: -4,
            finished: [5...6, 0...2, 2...3, 7...7, 20...Int64.max],
            deliveries: [1: record, 9: record, -3: record]
        )
        let harness = DispatchHarness(restoring: state)
        #expect(harness.dispatch.committedOffset == 4)
        #expect(
            harness.dispatch.persistedState
                == PersistedPartitionState(
                    committedOffset: 4,
                    finished: [5...7, 20...(Int64.max - 1)],
                    deliveries: [9: record]
                )
        )
        harness.replayed = harness.dispatch.persistedState
        harness.add([4, 5, 8, 9], readUpTo: 10)
        #expect(harness.take() == [4, 8, 9])
    }

    @Test("retention below the committed offset drops unfinished messages, in flight ones too")
    func logStartMoved() {
        let harness = DispatchHarness()
        harness.add([0, 1, 2, 3, 4], keys: [1, 1, 2, 3, 3])
        #expect(harness.take() == [0, 2, 3])
        harness.ack([2])
        #expect(harness.logStartMoved(to: 2) == [Dispatch.Revoked(offset: 0, member: "a")])
        #expect(harness.drain() == [.acknowledged([0...1])])
        #expect(harness.dispatch.committedOffset == 3)
        #expect(harness.ack([0]) == [.accepted])
        #expect(harness.logStartMoved(to: 1).isEmpty)
        // Beyond what was read: the read position moves too.
        #expect(harness.logStartMoved(to: 8) == [Dispatch.Revoked(offset: 3, member: "a")])
        harness.drain()
        #expect(harness.dispatch.nextReadOffset == 8)
        #expect(harness.dispatch.unfinishedCount == 0)
        #expect(harness.dispatch.inFlightCount == 0)
        harness.add([8])
        #expect(harness.take() == [8])
    }

    @Test("retention drops a message being dead-lettered and restored state below it")
    func logStartMovedRestored() {
        let record = DeliveryRecord(
            deliveryCount: 5,
            failureCount: 5,
            firstDeliveredAt: 0,
            lastDeliveredAt: 0,
            lastFailureReason: nil
        )
        let state = PersistedPartitionState(
            committedOffset: 0,
            finished: [2...3, 9...9],
            deliveries: [1: record, 5: record]
        )
        let harness = DispatchHarness(restoring: state)
        harness.add([0, 1])
        #expect(harness.deadLetters.map(\.offset) == [1])
        #expect(harness.deadLetters.first?.reason == Dispatch.maxDeliveriesReason)
        _ = harness.logStartMoved(to: 6)
        harness.drain()
        #expect(harness.dispatch.pendingDeadLetters().isEmpty)
        #expect(harness.dispatch.committedOffset == 6)
        #expect(!harness.deadLetterWritten(1))
        harness.add([6, 7, 8, 9, 10])
        #expect(harness.take() == [6, 7, 8, 10])
    }

    @Test("a reset forgets everything and reads again from the new offset")
    func reset() {
        let harness = DispatchHarness()
        harness.add([0, 1, 2])
        #expect(harness.take() == [0, 1, 2])
        harness.ack([1])
        #expect(harness.reset(to: 1).map(\.offset) == [0, 2])
        #expect(harness.drain() == [.reset(committedOffset: 1)])
        #expect(harness.dispatch.inFlightCount == 0)
        #expect(harness.dispatch.nextDeadline == nil)
        harness.add([1, 2])
        #expect(harness.take() == [1, 2])
        _ = harness.reset(to: -7)
        harness.drain()
        #expect(harness.dispatch.committedOffset == 0)
    }

    @Test("expire ends backoffs, so a dispatch round after the timer finds the message ready")
    func expireEndsBackoffs() {
        let harness = DispatchHarness { $0.backoffInitialMilliseconds = 100 }
        harness.add([0])
        #expect(harness.take() == [0])
        #expect(harness.nack(0, delay: 30) == .accepted)
        harness.drain()
        #expect(!harness.dispatch.hasReady)
        #expect(harness.dispatch.nextDeadline == 30)
        #expect(harness.expire(now: 29).isEmpty)
        #expect(!harness.dispatch.hasReady)
        #expect(harness.expire(now: 30).isEmpty)
        #expect(harness.dispatch.hasReady)
        #expect(harness.dispatch.nextDeadline == nil)
        harness.drain()
    }
}
