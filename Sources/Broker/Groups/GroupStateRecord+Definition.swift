/// What kind of group a definition describes. Only Sluice's own groups exist today; the byte
/// leaves room for others (Kafka consumer groups) without a new record version.
public enum GroupKind: UInt8, Sendable, Hashable {
    /// A Sluice consumer group (docs/GROUPS.md).
    case sluice = 0
}

/// What the group state log keeps about a group besides its partitions' states: its kind, its
/// settings and the topics it subscribes to.
public struct GroupDefinition: Sendable, Hashable {
    /// The kind of group.
    public var kind: GroupKind
    /// The settings chosen when the group was created.
    public var settings: GroupSettings
    /// The topics the group consumes, in the order given.
    public var topics: [String]

    /// A definition.
    public init(kind: GroupKind = .sluice, settings: GroupSettings = GroupSettings(), topics: [String]) {
        self.kind = kind
        self.settings = settings
        self.topics = topics
    }
}
