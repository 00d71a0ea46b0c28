import BrokerProtocol

/// A consumer group as `listGroups` reports it.
public struct GroupSummary: Hashable, Sendable {
    /// Creates a summary.
    public init(name: String, kind: String = "sluice", topics: [String], members: Int) {
        self.name = name
        self.kind = kind
        self.topics = topics
        self.members = members
    }

    /// The group's name.
    public var name: String
    /// `sluice` (a Sluice consumer group) or `kafka` (a Kafka classic consumer group: committed
    /// offsets only).
    public var kind: String
    /// The topics it consumes (a Kafka group: those it committed offsets on).
    public var topics: [String]
    /// How many members are connected now.
    public var members: Int
}

/// A consumer group as `describeGroup` reports it.
public struct GroupDescription: Hashable, Sendable {
    /// A connected member.
    public struct Member: Hashable, Sendable {
        /// `<client address>#<subscription id>`.
        public var id: String
        /// The member's address as the broker sees it.
        public var clientAddress: String
        /// Credits it has granted and not yet used.
        public var credits: Int
        /// Messages delivered to it and not yet finished.
        public var inFlight: Int
    }

    /// One partition of one of the group's topics.
    public struct Partition: Hashable, Sendable {
        public var topic: String
        public var partition: Int32
        /// Every message below it is finished (acknowledged or dead-lettered).
        public var committedOffset: Int64
        /// The partition's log end.
        public var logEndOffset: Int64
        /// `logEndOffset - committedOffset`.
        public var lag: Int64
        /// Messages delivered and not yet finished.
        public var inFlight: Int
        /// Messages the group has read and not finished (in flight or waiting to be delivered again).
        public var unfinished: Int
        /// Dead letters the partition's dead-letter partition holds.
        public var deadLettered: Int64
    }

    public var name: String
    /// The ordering mode: `key`, `partition` or `none`.
    public var ordering: String
    public var ackTimeout: Duration
    public var maxDeliveries: Int
    public var maxUnfinishedPerPartition: Int
    public var members: [Member]
    public var partitions: [Partition]
    /// `sluice` or `kafka` (a Kafka classic group: no members here, its settings unused, a
    /// partition per committed offset).
    public var kind: String = "sluice"
}

extension Admin {
    /// The broker's consumer groups, by name.
    public func listGroups() async throws -> [GroupSummary] {
        let response = try await transport.send(ListGroupsRequest(), as: ListGroupsResponse.self)
        return response.groups.map {
            GroupSummary(name: $0.group, kind: $0.kind.name, topics: $0.topics, members: Int($0.members))
        }
    }

    /// A group's settings, members and per-partition progress.
    /// - Throws: ``ClientError`` with `broker(.unknownGroup)` for a group that does not exist.
    public func describeGroup(_ name: String) async throws -> GroupDescription {
        let response = try await transport.send(DescribeGroupRequest(group: name), as: DescribeGroupResponse.self)
        let members: [GroupDescription.Member] = response.members.map { member in
            GroupDescription.Member(
                id: member.memberID,
                clientAddress: member.clientAddress,
                credits: Int(member.credits),
                inFlight: Int(member.inFlight)
            )
        }
        let partitions: [GroupDescription.Partition] = response.partitions.map { state in
            GroupDescription.Partition(
                topic: state.topic,
                partition: state.partition,
                committedOffset: state.committedOffset,
                logEndOffset: state.logEndOffset,
                lag: state.lag,
                inFlight: Int(state.inFlight),
                unfinished: Int(state.unfinished),
                deadLettered: state.deadLettered
            )
        }
        let settings = response.settings
        return GroupDescription(
            name: name,
            ordering: settings.ordering.description,
            ackTimeout: .milliseconds(settings.ackTimeoutMilliseconds),
            maxDeliveries: Int(settings.maxDeliveries),
            maxUnfinishedPerPartition: Int(settings.maxUnfinishedPerPartition),
            members: members,
            partitions: partitions,
            kind: response.kind.name
        )
    }
}

extension Admin {
    /// Where ``resetGroup(_:topic:to:)`` moves a group's committed offsets.
    public enum GroupResetTarget: Sendable, Hashable {
        /// The start of each partition: everything still stored is delivered again.
        case earliest
        /// The end of each partition: everything stored is skipped.
        case latest
        /// This offset on every partition (kept within each partition's start and end).
        case offset(Int64)
        /// The first offset at or after this time (epoch milliseconds), per partition.
        case timestamp(Int64)
    }

    /// Sets a group's committed offset on every partition of `topic`, forgetting what it knew
    /// above the old one. Refused (`groupHasMembers`) while any member is connected.
    /// - Returns: the new committed offset of each partition.
    @discardableResult
    public func resetGroup(_ group: String, topic: String, to target: GroupResetTarget) async throws -> [Int32: Int64] {
        let request: ResetGroupRequest
        switch target {
        case .earliest: request = ResetGroupRequest(group: group, topic: topic, to: .earliest)
        case .latest: request = ResetGroupRequest(group: group, topic: topic, to: .latest)
        case .offset(let offset): request = ResetGroupRequest(group: group, topic: topic, to: .offset, value: offset)
        case .timestamp(let time): request = ResetGroupRequest(group: group, topic: topic, to: .timestamp, value: time)
        }
        let response = try await transport.send(request, as: ResetGroupResponse.self)
        logger.debug("reset group", metadata: ["group": "\(group)", "topic": "\(topic)"])
        return Dictionary(uniqueKeysWithValues: response.partitions.map { ($0.partition, $0.offset) })
    }

    /// Deletes a group's state (its dead-letter topics stay). Refused (`groupHasMembers`) while any
    /// member is connected.
    public func deleteGroup(_ group: String) async throws {
        _ = try await transport.send(DeleteGroupRequest(group: group), as: DeleteGroupResponse.self)
        logger.debug("deleted group", metadata: ["group": "\(group)"])
    }

    /// Delivers `group`'s dead letters of `topic` (in `dlq.<group>.<topic>`) again, to that group
    /// only: those written since the group's last redrive, at most `limit` (all when `nil`). The
    /// group need not have members connected; the messages are delivered once it has.
    /// - Returns: How many dead letters will be delivered again.
    public func redriveDeadLetters(_ group: String, topic: String, limit: Int64? = nil) async throws -> Int64 {
        let response = try await transport.send(
            RedriveDeadLettersRequest(group: group, topic: topic, limit: limit),
            as: RedriveDeadLettersResponse.self
        )
        logger.debug(
            "redrove dead letters",
            metadata: ["group": "\(group)", "topic": "\(topic)", "count": "\(response.redriven)"]
        )
        return response.redriven
    }
}

extension BrokerProtocol.GroupKind {
    /// The kind as tools print it: `sluice` or `kafka`.
    var name: String {
        switch self {
        case .sluice: "sluice"
        case .kafka: "kafka"
        }
    }
}
