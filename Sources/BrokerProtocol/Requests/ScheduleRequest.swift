import NIOCore

/// `schedule` v0 request: messages to append to partitions of one topic later, each at its own
/// time, each under a schedule id unique in the topic (scheduling a pending id again replaces it).
/// ```
/// acks                int8        0 none (no response), 1 written, 2 durable
/// timeoutMilliseconds uint32      as in produce: how long a durable answer may wait for the flush
/// topic               string
/// entries             array<{
///   partition         int32       -1: the broker chooses (murmur2 of the key, round-robin without one)
///   deliverAt         int64       epoch milliseconds, or -1
///   delayMilliseconds int64       from the broker's clock when it takes the request, or -1
///                                 (exactly one of deliverAt and delayMilliseconds is at or above 0)
///   scheduleId        nullable string   1 ... 1,024 bytes; null: the broker generates one
///   timestamp         int64       the message's produce time (epoch ms); -1: the broker's clock
///   key               nullable bytes
///   value             nullable bytes
///   headers           array<{ key string, value nullable bytes }>
/// }>
/// ```
/// A `scheduleId` that is empty or longer than ``ScheduleLimits/maxScheduleIDBytes`` fails to decode
/// with `invalidRequest` (the whole request; the connection stays open). Both or neither time given,
/// or a time the broker refuses, fail only the entry (``Entry/time``, ``Entry/timeProblem``).
public struct ScheduleRequest: WireMessage, Hashable {
    public static let apiKey = APIKey.schedule
    /// The smallest encoding of one entry: every fixed field, a null id, key and value, no headers.
    static let minimumEntryBytes = 4 + 8 + 8 + 2 + 8 + 4 + 4 + 4

    /// A record header of a scheduled message, as the message will carry it.
    public struct Header: Hashable, Sendable {
        public var key: String
        public var value: ByteBuffer?

        /// Creates a header.
        public init(key: String, value: ByteBuffer?) {
            self.key = key
            self.value = value
        }
    }

    /// When a scheduled message is due.
    public enum Time: Hashable, Sendable {
        /// At this time, in milliseconds since the epoch (`deliverAt`).
        case at(epochMilliseconds: Int64)
        /// This many milliseconds after the broker takes the request (`delayMilliseconds`).
        case after(milliseconds: Int64)
    }

    /// One message to schedule.
    public struct Entry: Hashable, Sendable {
        /// The partition; `nil` (-1): the broker chooses it from the key when it takes the request.
        public var partition: Int32?
        /// The due time in epoch milliseconds; `nil` (-1) when ``delayMilliseconds`` is given.
        public var deliverAt: Int64?
        /// The delay from the broker's clock; `nil` (-1) when ``deliverAt`` is given.
        public var delayMilliseconds: Int64?
        /// The schedule id; `nil`: the broker generates one.
        public var scheduleID: String?
        /// The message's produce time in epoch milliseconds; `nil` (-1): the broker's clock.
        public var timestamp: Int64?
        public var key: ByteBuffer?
        public var value: ByteBuffer?
        public var headers: [Header]

        /// Creates an entry with exactly one of the two times.
        public init(
            partition: Int32? = nil,
            time: Time,
            scheduleID: String? = nil,
            timestamp: Int64? = nil,
            key: ByteBuffer?,
            value: ByteBuffer?,
            headers: [Header] = []
        ) {
            switch time {
            case .at(let at): self.init(partition: partition, deliverAt: at, delayMilliseconds: nil)
            case .after(let delay): self.init(partition: partition, deliverAt: nil, delayMilliseconds: delay)
            }
            self.scheduleID = scheduleID
            self.timestamp = timestamp
            self.key = key
            self.value = value
            self.headers = headers
        }

        /// Creates an entry from the wire fields as they are (both or neither time are possible).
        public init(
            partition: Int32?,
            deliverAt: Int64?,
            delayMilliseconds: Int64?,
            scheduleID: String? = nil,
            timestamp: Int64? = nil,
            key: ByteBuffer? = nil,
            value: ByteBuffer? = nil,
            headers: [Header] = []
        ) {
            self.partition = partition
            self.deliverAt = deliverAt
            self.delayMilliseconds = delayMilliseconds
            self.scheduleID = scheduleID
            self.timestamp = timestamp
            self.key = key
            self.value = value
            self.headers = headers
        }

        /// The entry's time when exactly one of ``deliverAt`` and ``delayMilliseconds`` is given
        /// and at or above 0; otherwise `nil` (``timeProblem`` says why).
        public var time: Time? {
            switch (deliverAt, delayMilliseconds) {
            case (let at?, nil) where at >= 0: .at(epochMilliseconds: at)
            case (nil, let delay?) where delay >= 0: .after(milliseconds: delay)
            default: nil
            }
        }

        /// Why the entry has no ``time`` (the message of its `invalidRequest`), or `nil`.
        public var timeProblem: String? {
            switch (deliverAt, delayMilliseconds) {
            case (nil, nil): "give deliverAt or delayMilliseconds (neither is set)"
            case (.some, .some): "give deliverAt or delayMilliseconds, not both"
            case (let at?, nil) where at < 0: "deliverAt is \(at), below 0"
            case (nil, let delay?) where delay < 0: "delayMilliseconds is \(delay), below 0"
            default: nil
            }
        }
    }

    public var acks: Acks
    public var timeoutMilliseconds: UInt32
    public var topic: String
    public var entries: [Entry]

    /// Creates a request.
    public init(acks: Acks, timeoutMilliseconds: UInt32 = 30_000, topic: String, entries: [Entry]) {
        self.acks = acks
        self.timeoutMilliseconds = timeoutMilliseconds
        self.topic = topic
        self.entries = entries
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(acks.rawValue)
        buffer.writeInteger(timeoutMilliseconds)
        buffer.writeWireString(topic)
        buffer.writeWireArray(entries) { buffer, entry in
            buffer.writeWireOptional(entry.partition)
            buffer.writeWireOptional(entry.deliverAt)
            buffer.writeWireOptional(entry.delayMilliseconds)
            buffer.writeWireNullableString(entry.scheduleID)
            buffer.writeWireOptional(entry.timestamp)
            buffer.writeWireBytes(entry.key)
            buffer.writeWireBytes(entry.value)
            buffer.writeWireArray(entry.headers) { buffer, header in
                buffer.writeWireString(header.key)
                buffer.writeWireBytes(header.value)
            }
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        acks = try buffer.readWireEnum(Acks.self, "acks")
        timeoutMilliseconds = try buffer.readWire(UInt32.self, "timeoutMilliseconds")
        topic = try buffer.readWireString("topic")
        entries = try buffer.readWireArray("entries", minimumElementBytes: Self.minimumEntryBytes) { buffer in
            Entry(
                partition: try buffer.readWireOptional(Int32.self, "partition"),
                deliverAt: try buffer.readWireOptional(Int64.self, "deliverAt"),
                delayMilliseconds: try buffer.readWireOptional(Int64.self, "delayMilliseconds"),
                scheduleID: try buffer.readNullableScheduleID("scheduleId", code: .invalidRequest),
                timestamp: try buffer.readWireOptional(Int64.self, "timestamp"),
                key: try buffer.readWireBytes("key"),
                value: try buffer.readWireBytes("value"),
                headers: try buffer.readWireArray("headers", minimumElementBytes: 6) { buffer in
                    Header(
                        key: try buffer.readWireString("header key"),
                        value: try buffer.readWireBytes("header value")
                    )
                }
            )
        }
    }
}
