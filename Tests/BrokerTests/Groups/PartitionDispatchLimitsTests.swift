import Testing

@testable import Broker

/// ``PartitionDispatch`` against inputs a broken client, a damaged state or extreme clocks can
/// produce: nothing traps, loops for long or grows beyond the window.
@Suite("PartitionDispatch limits")
struct PartitionDispatchLimitsTests {
    @Test("hostile acks: huge and negative ranges, unknown offsets, other members' messages")
    func hostileAcks() {
        let harness = DispatchHarness { $0.maxUnfinishedPerPartition = 10 }
        harness.add([0, 1, 2, 3])
        #expect(harness.take(2) == [0, 1])
        #expect(harness.take(1, for: "b") == [2])
        // Acks every offset "a" holds; the rest of the range was not held by "a".
        let outcomes = harness.dispatch.ack([0...Int64.max], by: "a")
        harness.drain()
        #expect(outcomes == [.notDelivered])
        #expect(harness.dispatch.inFlightCount(of: "a") == 0)
        #expect(harness.dispatch.inFlightCount(of: "b") == 1)
        #expect(harness.dispatch.committedOffset == 2)
        let more = harness.dispatch.ack(
            [Int64.min...(-1), Int64.min...Int64.max, 0...1, 2...2, 3...3, 100...100, Int64.max...Int64.max],
            by: "a"
        )
        harness.drain()
        #expect(
            more == [
                .notDelivered, .notDelivered, .accepted, .notDelivered, .notDelivered, .notDelivered, .notDelivered,
            ]
        )
        #expect(harness.ack([2], by: "b") == [.accepted])
        // Acks of what is finished are accepted again (a retried ack), and change nothing.
        let eventsBefore = harness.allEvents.count
        #expect(harness.ack([0, 1, 2], by: "c") == [.accepted, .accepted, .accepted])
        #expect(harness.allEvents.count == eventsBefore)
        #expect(harness.ackRanges([]) == [])
        #expect(harness.nack(-5, by: "a", delay: nil, reason: nil, now: 0) == .notDelivered)
        #expect(harness.reject(Int64.max, by: "a", reason: nil) == .notDelivered)
        #expect(harness.extend(3, by: "a", now: 0) == .notDelivered)
        #expect(harness.deadLetterWritten(3) == false)
        harness.drain()
    }

    @Test("hostile reads: offsets out of order, negative, at Int64.max, a read position at Int64.max")
    func hostileReads() {
        let harness = DispatchHarness()
        harness.dispatch.add(records: [(5, nil), (3, nil), (-1, nil), (5, nil), (Int64.max, nil)], readUpTo: 2)
        harness.drain()
        #expect(harness.dispatch.nextReadOffset == 6)
        #expect(harness.take() == [5])
        harness.dispatch.add(records: [], readUpTo: Int64.max)
        harness.drain()
        #expect(harness.dispatch.nextReadOffset == Int64.max)
        harness.ack([5])
        #expect(harness.dispatch.committedOffset == Int64.max)
        #expect(harness.ack([0]) == [.accepted])
        #expect(harness.logStartMoved(to: Int64.max).isEmpty)
        harness.drain()
    }

    @Test("time values at the edges saturate instead of overflowing")
    func extremeTimes() {
        let harness = DispatchHarness {
            $0.ackTimeoutMilliseconds = Int64.max
            $0.backoffInitialMilliseconds = Int64.max
            $0.backoffMaxMilliseconds = Int64.max
            $0.backoffMultiplierPercent = Int.max
        }
        harness.add([0, 1])
        #expect(harness.take(now: Int64.max - 1) == [0, 1])
        #expect(harness.dispatch.nextDeadline == Int64.max)
        #expect(harness.nack(0, by: "a", delay: nil, reason: nil, now: Int64.max) == .accepted)
        #expect(harness.nack(1, by: "a", delay: Int64.max, reason: nil, now: Int64.min) == .accepted)
        harness.drain()
        #expect(harness.take(now: Int64.max).sorted() == [0, 1])
        #expect(harness.extend(0, by: "a", now: Int64.max) == .accepted)
        harness.drain()
    }

    @Test("memory stays bounded by the window however many messages are acknowledged")
    func boundedMemory() {
        let harness = DispatchHarness { $0.maxUnfinishedPerPartition = 8 }
        harness.add([0])
        #expect(harness.take(for: "stuck") == [0])
        for round in 0..<2_000 {
            let next = harness.dispatch.nextReadOffset
            harness.dispatch.add(
                records: (next..<(next + 7)).map { (offset: $0, keyHash: UInt64($0 % 3)) },
                readUpTo: next + 7
            )
            let taken = harness.dispatch.take(upTo: 100, for: "a", now: Int64(round), wallClock: 0)
            for delivery in taken { _ = harness.extend(delivery.offset, by: "a", now: Int64(round)) }
            _ = harness.dispatch.ack(taken.map { $0.offset...$0.offset }, by: "a")
            _ = harness.dispatch.takeEvents()
        }
        let dispatch = harness.dispatch
        #expect(dispatch.committedOffset == 0)
        #expect(dispatch.nextReadOffset > 2_000)
        #expect(dispatch.unfinishedCount <= 8)
        #expect(dispatch.offsetOrder.count <= 2 * 8 + 64)
        #expect(dispatch.ackDeadlines.count <= 2 * 8 + 64)
        #expect(dispatch.readyQueue.count <= 2 * 8 + 64)
        #expect(dispatch.invariantViolations().isEmpty)
        #expect(dispatch.persistedState.finished.count <= 9)
    }

    @Test("counts at Int.max from a damaged state saturate; maxDeliveries out of range is clamped")
    func hostileCounts() {
        let record = DeliveryRecord(
            deliveryCount: Int.max,
            failureCount: 0,
            firstDeliveredAt: 0,
            lastDeliveredAt: 0,
            lastFailureReason: nil
        )
        // maxDeliveries Int.max counts as 1,000.
        let harness = DispatchHarness(
            { $0.maxDeliveries = Int.max },
            restoring: PersistedPartitionState(committedOffset: 0, deliveries: [0: record])
        )
        harness.add([0, 1])
        #expect(harness.dispatch.take(upTo: 2, for: "a", now: 0, wallClock: 0).map(\.deliveryCount) == [Int.max, 1])
        harness.drain()
        #expect(harness.deadLetters.isEmpty)
        #expect(harness.reject(0) == .accepted)
        harness.drain()
        #expect(harness.deadLetters.map(\.record.deliveryCount) == [Int.max])
        // A reject records the failures left up to the clamped maximum, not up to Int.max.
        #expect(harness.reject(1, reason: "no") == .accepted)
        #expect(harness.drain().count == GroupSettings.maxDeliveriesRange.upperBound)
        let zero = DispatchHarness { $0.maxDeliveries = 0 }
        zero.add([0])
        #expect(zero.take() == [0])
        #expect(zero.nack(0) == .accepted)
        zero.drain()
        #expect(zero.deadLetters.map(\.offset) == [0])
    }

    @Test("many overlapping huge ranges in one ack: each tracked message is visited once, outcomes per range")
    func manyHugeRanges() {
        let harness = DispatchHarness { $0.maxUnfinishedPerPartition = 5_000 }
        harness.dispatch.add(records: (0..<5_000).map { (offset: Int64($0), keyHash: nil) }, readUpTo: 5_000)
        harness.drain()
        #expect(harness.take(1, for: "a") == [0])
        #expect(harness.dispatch.take(upTo: 4_999, for: "b", now: 0, wallClock: 0).count == 4_999)
        // "a" acknowledges with ranges that each cover everything "b" holds.
        var ranges = Array(repeating: Int64(0)...Int64.max, count: 5_000)
        ranges.append(0...0)
        ranges.append(4_999...4_999)
        ranges.append(Int64.min...Int64.min)
        let outcomes = harness.ackRanges(ranges)
        #expect(outcomes.count == 5_003)
        #expect(outcomes.prefix(5_000).allSatisfy { $0 == .notDelivered })
        #expect(Array(outcomes.suffix(3)) == [.accepted, .notDelivered, .notDelivered])
        harness.drain()
        #expect(harness.dispatch.committedOffset == 1)
        #expect(harness.dispatch.inFlightByMember == ["b": 4_999])
        #expect(harness.allEvents.last == .acknowledged([0...0]))
    }
}
