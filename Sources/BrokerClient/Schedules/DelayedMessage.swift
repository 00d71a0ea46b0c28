import BrokerProtocol

/// A message to schedule: what ``ScheduleClient/schedule(topic:_:acks:)`` takes for each message.
public struct DelayedMessage: Sendable {
    /// The key: it chooses the partition (when ``partition`` is `nil`) and travels with the message.
    public var key: ByteBuffer?
    /// The value; `nil` for a null value.
    public var value: ByteBuffer?
    /// Record headers, in order.
    public var headers: [RecordHeader]
    /// The partition; `nil`: the broker chooses it when it takes the message (Kafka's murmur2 of the
    /// key, round-robin without one).
    public var partition: Int32?
    /// When it is due.
    public var time: DeliveryTime
    /// The schedule id (1 ... 1,024 bytes of UTF-8, unique per topic); `nil`: the broker generates
    /// one. Scheduling an id that is pending replaces that schedule.
    public var scheduleID: String?
    /// The message's produce time (epoch milliseconds), its record timestamp once delivered; `nil`:
    /// the broker's clock when it takes the message.
    public var timestamp: Int64?

    /// Creates a message; key, value and header values are given as any ``MessageBytes``
    /// (`String`, `[UInt8]`, `ByteBuffer`, `Data`).
    public init(
        key: (any MessageBytes)? = nil,
        value: (any MessageBytes)?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        deliver time: DeliveryTime,
        scheduleID: String? = nil,
        timestamp: Int64? = nil
    ) {
        self.key = key?.messageBytes
        self.value = value?.messageBytes
        self.headers = headers
        self.partition = partition
        self.time = time
        self.scheduleID = scheduleID
        self.timestamp = timestamp
    }

    /// The wire entry; throws `invalidArgument` for what the broker would refuse anyway.
    func wireEntry() throws -> ScheduleRequest.Entry {
        if let partition, partition < 0 { throw ClientError(.invalidArgument, "partition \(partition) is negative") }
        if let scheduleID, let problem = ScheduleLimits.problem(withScheduleID: scheduleID) {
            throw ClientError(.invalidArgument, problem)
        }
        if let timestamp, timestamp < -1 {
            throw ClientError(.invalidArgument, "a timestamp of \(timestamp) is below -1")
        }
        return ScheduleRequest.Entry(
            partition: partition,
            time: try time.wireTime(),
            scheduleID: scheduleID,
            timestamp: timestamp,
            key: key,
            value: value,
            headers: headers.map { ScheduleRequest.Header(key: $0.key, value: $0.value) }
        )
    }
}
