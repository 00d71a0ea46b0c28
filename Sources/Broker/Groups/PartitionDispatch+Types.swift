extension PartitionDispatch {
    /// One message handed to a member by ``take(upTo:for:now:wallClock:)``.
    public struct Delivery: Sendable, Hashable {
        /// The message's offset in the partition.
        public var offset: Int64
        /// How many times the message has been delivered, this delivery included (1 the first time).
        public var deliveryCount: Int

        /// A delivery of `offset`, its `deliveryCount`-th.
        public init(offset: Int64, deliveryCount: Int) {
            self.offset = offset
            self.deliveryCount = deliveryCount
        }
    }

    /// A message that must be written to the dead-letter topic (see ``takeDeadLetters()``); once the
    /// dead letter is durable, the caller calls ``deadLetterWritten(offset:)``.
    public struct DeadLetter: Sendable, Hashable {
        /// The message's offset in the partition.
        public var offset: Int64
        /// Its deliveries and failures (for the `sluice.dlq.*` headers).
        public var record: DeliveryRecord
        /// Why it is dead-lettered: the reject's reason, or the reason of its last failed delivery.
        public var reason: String

        /// A dead letter for `offset`.
        public init(offset: Int64, record: DeliveryRecord, reason: String) {
            self.offset = offset
            self.record = record
            self.reason = reason
        }
    }

    /// The answer to an ack, nack, reject or extend.
    public enum Outcome: Sendable, Hashable {
        /// Done. For an ack: every offset of the range is finished now (it was held by the member
        /// and is acknowledged by this call, or was already finished).
        case accepted
        /// The member does not hold the message (or, for an ack, some offset of the range): it was
        /// never delivered, is delivered to another member, its delivery timed out or was taken
        /// back, it waits for redelivery, or (nack, reject, extend) it is finished. For an ack, the
        /// offsets of the range that the member did hold are still acknowledged.
        case notDelivered
    }

    /// An in-flight delivery that the dispatcher took back from its member (ack timeout, or the
    /// message was removed by retention or a reset).
    public struct Revoked: Sendable, Hashable {
        /// The message's offset.
        public var offset: Int64
        /// The member that held it.
        public var member: Member
    }

    /// Where an unfinished message is in its life.
    enum MessageState: Sendable, Hashable {
        /// An earlier unfinished message of its lane (same key hash, or the partition in
        /// `partition` mode) goes first.
        case blocked
        /// Dispatchable now; its offset is in `readyQueue`.
        case ready
        /// Waiting for its backoff to end before it is dispatchable again.
        case backingOff(until: Int64)
        /// Delivered to `member`; fails at `deadline` (monotonic ms) unless acknowledged or extended.
        case inFlight(member: Member, deadline: Int64)
        /// Reported for dead-lettering; finished by ``deadLetterWritten(offset:)``.
        case deadLettering
    }

    /// An unfinished message read from the log. Messages of one lane form a doubly linked list
    /// in offset order through `previousInLane` / `nextInLane`; only the lane's head may be in
    /// flight.
    struct Message: Sendable, Hashable {
        var lane: UInt64?
        var previousInLane: Int64?
        var nextInLane: Int64?
        var record: DeliveryRecord?
        var state: MessageState
    }

    /// The first and last unfinished message of a lane.
    struct Lane: Sendable, Hashable {
        var head: Int64
        var tail: Int64
    }

    /// A delivery record of the restored state whose offset has not been read again yet.
    struct RestoredDelivery: Sendable, Hashable {
        var offset: Int64
        var record: DeliveryRecord
    }
}
