/// The version range Sluice serves for each Kafka API, and the rules that follow from versions.
///
/// ``supported`` is data: the list the broker advertises in its ApiVersions response and
/// checks every request against. An API is listed only once this module has its codec; the
/// ranges stay below each API's first flexible version, except ApiVersions v3, which every
/// recent client sends first (see `docs/KAFKA.md` for the table and the client versions).
public enum KafkaAPIVersions {
    /// One API's supported range.
    public struct Range: Hashable, Sendable {
        /// The API.
        public var apiKey: KafkaAPIKey
        /// The lowest version served.
        public var minimumVersion: Int16
        /// The highest version served.
        public var maximumVersion: Int16

        /// Creates a range.
        public init(apiKey: KafkaAPIKey, minimumVersion: Int16, maximumVersion: Int16) {
            precondition(minimumVersion <= maximumVersion, "an empty version range")
            self.apiKey = apiKey
            self.minimumVersion = minimumVersion
            self.maximumVersion = maximumVersion
        }

        /// Whether `version` is within the range.
        public func contains(_ version: Int16) -> Bool {
            minimumVersion <= version && version <= maximumVersion
        }
    }

    /// The APIs and versions this module decodes and encodes, in key order.
    ///
    /// Minimums of 0 matter: librdkafka before 2.11 enables a feature only when the advertised
    /// range covers the exact versions it wants (idempotence needs InitProducerId 0).
    public static let supported: [Range] = [
        Range(apiKey: .produce, minimumVersion: 3, maximumVersion: 8),
        Range(apiKey: .fetch, minimumVersion: 4, maximumVersion: 11),
        Range(apiKey: .listOffsets, minimumVersion: 0, maximumVersion: 5),
        Range(apiKey: .metadata, minimumVersion: 0, maximumVersion: 8),
        Range(apiKey: .apiVersions, minimumVersion: 0, maximumVersion: 3),
        Range(apiKey: .initProducerID, minimumVersion: 0, maximumVersion: 1),
        // The group and admin codecs state their own ranges.
        Range(
            apiKey: .offsetCommit,
            minimumVersion: KafkaOffsetCommitRequest.versions.lowerBound,
            maximumVersion: KafkaOffsetCommitRequest.versions.upperBound
        ),
        // The codec has 6-7 too (flexible); the clients tested use 5 when it is the maximum.
        Range(apiKey: .offsetFetch, minimumVersion: 0, maximumVersion: 5),
        Range(
            apiKey: .findCoordinator,
            minimumVersion: KafkaFindCoordinatorRequest.versions.lowerBound,
            maximumVersion: KafkaFindCoordinatorRequest.versions.upperBound
        ),
        Range(
            apiKey: .joinGroup,
            minimumVersion: KafkaJoinGroupRequest.versions.lowerBound,
            maximumVersion: KafkaJoinGroupRequest.versions.upperBound
        ),
        Range(
            apiKey: .heartbeat,
            minimumVersion: KafkaHeartbeatRequest.versions.lowerBound,
            maximumVersion: KafkaHeartbeatRequest.versions.upperBound
        ),
        Range(
            apiKey: .leaveGroup,
            minimumVersion: KafkaLeaveGroupRequest.versions.lowerBound,
            maximumVersion: KafkaLeaveGroupRequest.versions.upperBound
        ),
        Range(
            apiKey: .syncGroup,
            minimumVersion: KafkaSyncGroupRequest.versions.lowerBound,
            maximumVersion: KafkaSyncGroupRequest.versions.upperBound
        ),
        Range(
            apiKey: .createTopics,
            minimumVersion: KafkaCreateTopicsRequest.versions.lowerBound,
            maximumVersion: KafkaCreateTopicsRequest.versions.upperBound
        ),
        Range(
            apiKey: .deleteTopics,
            minimumVersion: KafkaDeleteTopicsRequest.versions.lowerBound,
            maximumVersion: KafkaDeleteTopicsRequest.versions.upperBound
        ),
        Range(
            apiKey: .describeConfigs,
            minimumVersion: KafkaDescribeConfigsRequest.versions.lowerBound,
            maximumVersion: KafkaDescribeConfigsRequest.versions.upperBound
        ),
    ]

    /// The supported range of `apiKey`, or nil if the API is not served.
    public static func range(for apiKey: KafkaAPIKey) -> Range? {
        supported.first { $0.apiKey == apiKey }
    }

    /// Whether `apiVersion` of `apiKey` is a flexible version (compact strings, bytes and arrays,
    /// tagged fields after every structure). False for an unknown API.
    public static func isFlexible(apiKey: KafkaAPIKey, apiVersion: Int16) -> Bool {
        guard let first = apiKey.firstFlexibleVersion else { return false }
        return apiVersion >= first
    }

    /// The request header version of `apiVersion` of `apiKey`: 2 for a flexible version, else 1.
    ///
    /// (Header v0, with no client id, is used only by ControlledShutdown v0, which Sluice does
    /// not serve.) For an unknown API this is 1: the fields a broker needs to answer (key,
    /// version, correlation id) are the same in every header version.
    public static func requestHeaderVersion(apiKey: KafkaAPIKey, apiVersion: Int16) -> Int16 {
        isFlexible(apiKey: apiKey, apiVersion: apiVersion) ? 2 : 1
    }

    /// The response header version of `apiVersion` of `apiKey`: 1 for a flexible version, else
    /// 0; always 0 for ApiVersions, whose response header never has tagged fields so that a
    /// client can read it whatever version it asked for.
    public static func responseHeaderVersion(apiKey: KafkaAPIKey, apiVersion: Int16) -> Int16 {
        if apiKey == .apiVersions { return 0 }
        return isFlexible(apiKey: apiKey, apiVersion: apiVersion) ? 1 : 0
    }
}
