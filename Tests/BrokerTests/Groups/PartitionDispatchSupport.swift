import Testing

@testable import Broker

/// The dispatcher under test, with members named by strings.
typealias Dispatch = PartitionDispatch<String>

/// A dispatcher plus the state its drained events rebuild, checked after every step. A class, so
/// that its calls can sit inside `#expect`.
final class DispatchHarness {
    var dispatch: Dispatch
    /// The state the events drained so far give when applied to the starting state.
    var replayed: PersistedPartitionState
    /// Every event drained so far.
    var allEvents: [GroupStateEvent] = []
    /// Every dead letter handed over so far.
    var deadLetters: [Dispatch.DeadLetter] = []

    init(
        _ configure: (inout GroupSettings) -> Void = { _ in },
        restoring state: PersistedPartitionState = PersistedPartitionState(committedOffset: 0),
        seed: UInt64 = 1
    ) {
        var settings = GroupSettings()
        configure(&settings)
        dispatch = Dispatch(
            id: GroupPartitionID(group: "g", topic: "t", partition: 0),
            settings: settings,
            restoring: state,
            randomSeed: seed
        )
        replayed = state
    }

    /// Drains the events and dead letters and checks that the events rebuild the persisted state.
    @discardableResult
    func drain(sourceLocation: SourceLocation = #_sourceLocation) -> [GroupStateEvent] {
        let events = dispatch.takeEvents()
        for event in events { replayed.apply(event) }
        allEvents += events
        deadLetters += dispatch.takeDeadLetters()
        #expect(replayed == dispatch.persistedState, sourceLocation: sourceLocation)
        #expect(
            dispatch.invariantViolations().isEmpty,
            "\(dispatch.invariantViolations())",
            sourceLocation: sourceLocation
        )
        return events
    }

    /// Adds records `offsets` with the given keys (nil: no key), read up to the last one + 1.
    func add(_ offsets: [Int64], keys: [UInt64?]? = nil, readUpTo: Int64? = nil) {
        let keys = keys ?? offsets.map { _ in nil }
        let records = zip(offsets, keys).map { (offset: $0, keyHash: $1) }
        dispatch.add(records: records, readUpTo: readUpTo ?? ((offsets.last ?? dispatch.nextReadOffset - 1) + 1))
        drain()
    }

    /// Takes up to `count` for `member` and returns the offsets.
    func take(_ count: Int = 100, for member: String = "a", now: Int64 = 0) -> [Int64] {
        let deliveries = dispatch.take(upTo: count, for: member, now: now, wallClock: now.saturatingAdd(1_000))
        drain()
        return deliveries.map(\.offset)
    }

    /// Acknowledges each offset of `offsets` alone.
    @discardableResult
    func ack(_ offsets: [Int64], by member: String = "a") -> [Dispatch.Outcome] {
        let outcomes = dispatch.ack(offsets.map { $0...$0 }, by: member)
        drain()
        return outcomes
    }

    // Forwarding calls (not draining), usable inside #expect.

    func nack(
        _ offset: Int64,
        by member: String = "a",
        delay: Int64? = nil,
        reason: String? = nil,
        now: Int64 = 0
    )
        -> Dispatch.Outcome
    {
        dispatch.nack(offset: offset, by: member, delay: delay, reason: reason, now: now)
    }

    func reject(_ offset: Int64, by member: String = "a", reason: String? = nil) -> Dispatch.Outcome {
        dispatch.reject(offset: offset, by: member, reason: reason)
    }

    func extend(_ offset: Int64, by member: String = "a", now: Int64 = 0) -> Dispatch.Outcome {
        dispatch.extend(offset: offset, by: member, now: now)
    }

    func expire(now: Int64) -> [Dispatch.Revoked] { dispatch.expire(now: now) }

    func memberLeft(_ member: String, failed: Bool, now: Int64 = 0) -> [Int64] {
        dispatch.memberLeft(member, failed: failed, now: now)
    }

    func deadLetterWritten(_ offset: Int64) -> Bool { dispatch.deadLetterWritten(offset: offset) }

    func logStartMoved(to start: Int64) -> [Dispatch.Revoked] { dispatch.logStartMoved(to: start) }

    func reset(to offset: Int64) -> [Dispatch.Revoked] { dispatch.reset(to: offset) }

    func ackRanges(_ ranges: [ClosedRange<Int64>], by member: String = "a") -> [Dispatch.Outcome] {
        dispatch.ack(ranges, by: member)
    }

    func takeDeliveries(_ count: Int, for member: String = "a", now: Int64 = 0, wallClock: Int64) -> [Dispatch.Delivery]
    {
        dispatch.take(upTo: count, for: member, now: now, wallClock: wallClock)
    }
}
