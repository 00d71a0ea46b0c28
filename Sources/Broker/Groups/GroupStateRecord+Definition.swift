/// What kind of group a definition describes. A group name belongs to one kind: using it as the
/// other is refused (``GroupStateStore/View/problem(applying:)``).
public enum GroupKind: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// A Sluice consumer group (docs/GROUPS.md).
    case sluice = 0
    /// A Kafka classic consumer group: the state log keeps its committed offsets only (its
    /// definition has no topics and the default settings, unused).
    case kafkaClassic = 1

    /// How messages name the kind: `Sluice` or `Kafka classic`.
    public var description: String {
        switch self {
        case .sluice: "Sluice"
        case .kafkaClassic: "Kafka classic"
        }
    }
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
