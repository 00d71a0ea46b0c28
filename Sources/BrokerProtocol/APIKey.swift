/// The API a request calls. Numbers are stable; gaps are reserved for the APIs of later issues.
///
/// | range | APIs |
/// |---|---|
/// | 0-19 | connection, produce, fetch, offsets, topic administration, status |
/// | 20-39 | consumer groups (20-31 served; 32-39 reserved) |
/// | 40-59 | delayed delivery schedules (40-42 served; 43-59 reserved) |
/// | 60-79 | dead letters (60 served; 61-79 reserved) |
public struct APIKey: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Exchanges supported API versions and limits; a client's first request.
    public static let handshake = APIKey(rawValue: 0)
    /// Appends record batches to partitions.
    public static let produce = APIKey(rawValue: 1)
    /// Reads record batches from partitions, with long polling.
    public static let fetch = APIKey(rawValue: 2)
    /// Finds the earliest, latest or by-timestamp offset of partitions.
    public static let listOffsets = APIKey(rawValue: 3)
    /// Creates a topic.
    public static let createTopic = APIKey(rawValue: 4)
    /// Lists the topics.
    public static let listTopics = APIKey(rawValue: 5)
    /// Describes a topic's partitions.
    public static let describeTopic = APIKey(rawValue: 6)
    /// Deletes a topic and its data.
    public static let deleteTopic = APIKey(rawValue: 7)
    /// Raises a topic's partition count.
    public static let addPartitions = APIKey(rawValue: 8)
    /// Reports the broker's state.
    public static let brokerStatus = APIKey(rawValue: 9)
    /// Allocates a producer id for an idempotent producer.
    public static let initProducer = APIKey(rawValue: 10)
    /// Joins a consumer group (creating it if needed) and opens a subscription on the connection.
    public static let subscribe = APIKey(rawValue: 20)
    /// Grants a subscription more deliveries.
    public static let credit = APIKey(rawValue: 21)
    /// A push from the broker (never a request): messages delivered to a subscription.
    public static let deliver = APIKey(rawValue: 22)
    /// Acknowledges delivered messages: they are finished.
    public static let ack = APIKey(rawValue: 23)
    /// Reports delivered messages as failed: they are delivered again, later.
    public static let nack = APIKey(rawValue: 24)
    /// Sends delivered messages straight to the group's dead-letter topic.
    public static let reject = APIKey(rawValue: 25)
    /// Resets the ack timeout of delivered messages (still working on them).
    public static let extend = APIKey(rawValue: 26)
    /// Closes a subscription cleanly: its messages in flight are delivered again at once.
    public static let leave = APIKey(rawValue: 27)
    /// Lists the consumer groups.
    public static let listGroups = APIKey(rawValue: 28)
    /// Describes a group: settings, members, partitions.
    public static let describeGroup = APIKey(rawValue: 29)
    /// Moves a group's committed offsets on one topic (no member connected).
    public static let resetGroup = APIKey(rawValue: 30)
    /// Deletes a group's state (no member connected).
    public static let deleteGroup = APIKey(rawValue: 31)
    /// Schedules messages for delivery at a later time (each under a schedule id, unique per topic).
    public static let schedule = APIKey(rawValue: 40)
    /// Cancels pending schedules by id.
    public static let cancelSchedule = APIKey(rawValue: 41)
    /// Lists a topic's pending schedules, one page at a time.
    public static let listSchedules = APIKey(rawValue: 42)
    /// Delivers a group's dead letters of one topic again, to that group only.
    public static let redriveDeadLetters = APIKey(rawValue: 60)

    public var description: String {
        switch self {
        case .handshake: "handshake"
        case .produce: "produce"
        case .fetch: "fetch"
        case .listOffsets: "listOffsets"
        case .createTopic: "createTopic"
        case .listTopics: "listTopics"
        case .describeTopic: "describeTopic"
        case .deleteTopic: "deleteTopic"
        case .addPartitions: "addPartitions"
        case .brokerStatus: "brokerStatus"
        case .initProducer: "initProducer"
        case .subscribe: "subscribe"
        case .credit: "credit"
        case .deliver: "deliver"
        case .ack: "ack"
        case .nack: "nack"
        case .reject: "reject"
        case .extend: "extend"
        case .leave: "leave"
        case .listGroups: "listGroups"
        case .describeGroup: "describeGroup"
        case .resetGroup: "resetGroup"
        case .deleteGroup: "deleteGroup"
        case .schedule: "schedule"
        case .cancelSchedule: "cancelSchedule"
        case .listSchedules: "listSchedules"
        case .redriveDeadLetters: "redriveDeadLetters"
        default: "api \(rawValue)"
        }
    }
}
