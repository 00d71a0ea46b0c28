/// The API a request calls. Numbers are stable; gaps are reserved for the APIs of later issues.
///
/// | range | APIs |
/// |---|---|
/// | 0-19 | connection, produce, fetch, offsets, topic administration, status |
/// | 20-39 | consumer groups (reserved) |
/// | 40-59 | delayed delivery schedules (reserved) |
/// | 60-79 | dead letters (reserved) |
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
        default: "api \(rawValue)"
        }
    }
}
