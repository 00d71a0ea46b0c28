/// A Kafka API key: the INT16 at the start of every request header.
///
/// Any INT16 is representable, so a request for an API this module does not know still decodes
/// its header and can be answered (``isKnown`` is false for it). The named keys are the ones
/// Sluice's Kafka listener serves or answers; their numbers are Kafka's.
public struct KafkaAPIKey: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The key's number on the wire.
    public let rawValue: Int16

    /// Creates a key from its number; unknown numbers are allowed.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Produce (0): write record batches.
    public static let produce = KafkaAPIKey(rawValue: 0)
    /// Fetch (1): read record batches.
    public static let fetch = KafkaAPIKey(rawValue: 1)
    /// ListOffsets (2): offsets by timestamp (earliest, latest, or a time).
    public static let listOffsets = KafkaAPIKey(rawValue: 2)
    /// Metadata (3): brokers, topics, partitions and leaders.
    public static let metadata = KafkaAPIKey(rawValue: 3)
    /// OffsetCommit (8): commit a group's offsets.
    public static let offsetCommit = KafkaAPIKey(rawValue: 8)
    /// OffsetFetch (9): read a group's committed offsets.
    public static let offsetFetch = KafkaAPIKey(rawValue: 9)
    /// FindCoordinator (10): which broker coordinates a group.
    public static let findCoordinator = KafkaAPIKey(rawValue: 10)
    /// JoinGroup (11): join a classic consumer group.
    public static let joinGroup = KafkaAPIKey(rawValue: 11)
    /// Heartbeat (12): keep a group membership alive.
    public static let heartbeat = KafkaAPIKey(rawValue: 12)
    /// LeaveGroup (13): leave a consumer group.
    public static let leaveGroup = KafkaAPIKey(rawValue: 13)
    /// SyncGroup (14): receive (or, as the leader, send) partition assignments.
    public static let syncGroup = KafkaAPIKey(rawValue: 14)
    /// DescribeGroups (15): group state and members.
    public static let describeGroups = KafkaAPIKey(rawValue: 15)
    /// ListGroups (16): every group the broker coordinates.
    public static let listGroups = KafkaAPIKey(rawValue: 16)
    /// ApiVersions (18): the version range of every API the broker serves.
    public static let apiVersions = KafkaAPIKey(rawValue: 18)
    /// CreateTopics (19).
    public static let createTopics = KafkaAPIKey(rawValue: 19)
    /// DeleteTopics (20).
    public static let deleteTopics = KafkaAPIKey(rawValue: 20)
    /// InitProducerId (22): a producer id and epoch for an idempotent producer.
    public static let initProducerID = KafkaAPIKey(rawValue: 22)
    /// DescribeConfigs (32): topic and broker settings.
    public static let describeConfigs = KafkaAPIKey(rawValue: 32)

    /// Every key named above, in key order.
    public static let allKnown: [KafkaAPIKey] = [
        .produce, .fetch, .listOffsets, .metadata, .offsetCommit, .offsetFetch, .findCoordinator, .joinGroup,
        .heartbeat, .leaveGroup, .syncGroup, .describeGroups, .listGroups, .apiVersions, .createTopics,
        .deleteTopics, .initProducerID, .describeConfigs,
    ]

    /// Whether the key is one of the named keys.
    public var isKnown: Bool { name != nil }

    /// Kafka's name for the API (`"Produce"`, `"ApiVersions"`, …), or nil for an unknown key.
    public var name: String? {
        switch rawValue {
        case 0: "Produce"
        case 1: "Fetch"
        case 2: "ListOffsets"
        case 3: "Metadata"
        case 8: "OffsetCommit"
        case 9: "OffsetFetch"
        case 10: "FindCoordinator"
        case 11: "JoinGroup"
        case 12: "Heartbeat"
        case 13: "LeaveGroup"
        case 14: "SyncGroup"
        case 15: "DescribeGroups"
        case 16: "ListGroups"
        case 18: "ApiVersions"
        case 19: "CreateTopics"
        case 20: "DeleteTopics"
        case 22: "InitProducerId"
        case 32: "DescribeConfigs"
        default: nil
        }
    }

    /// The first flexible version of the API in Kafka's message specs (`flexibleVersions`), or
    /// nil for an unknown key. From that version on, the request uses header v2, the response
    /// header v1 (except ApiVersions, see ``KafkaAPIVersions/responseHeaderVersion(apiKey:apiVersion:)``),
    /// and strings, bytes and arrays are compact with tagged fields after every structure.
    public var firstFlexibleVersion: Int16? {
        switch rawValue {
        case 0: 9  // Produce
        case 1: 12  // Fetch
        case 2: 6  // ListOffsets
        case 3: 9  // Metadata
        case 8: 8  // OffsetCommit
        case 9: 6  // OffsetFetch
        case 10: 3  // FindCoordinator
        case 11: 6  // JoinGroup
        case 12: 4  // Heartbeat
        case 13: 4  // LeaveGroup
        case 14: 4  // SyncGroup
        case 15: 5  // DescribeGroups
        case 16: 3  // ListGroups
        case 18: 3  // ApiVersions
        case 19: 5  // CreateTopics
        case 20: 4  // DeleteTopics
        case 22: 2  // InitProducerId
        case 32: 4  // DescribeConfigs
        default: nil
        }
    }

    /// Orders keys by number.
    public static func < (lhs: KafkaAPIKey, rhs: KafkaAPIKey) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `"Produce(0)"`, or `"unknown(99)"`.
    public var description: String { "\(name ?? "unknown")(\(rawValue))" }
}
