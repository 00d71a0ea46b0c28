/// The state of a Kafka classic consumer group, as Kafka's `ClassicGroupState`.
///
/// ```
/// Empty ──join──▶ PreparingRebalance ──all joined / rebalance timeout──▶ CompletingRebalance ──leader syncs──▶ Stable
///   ▲                  ▲   │ (no member left)                                │                                   │
///   └──────────────────┼───┘                                                 │ member joins, leaves, times out   │
///                      └─────────────────────────────────────────────────────┴───────────────────────────────────┘
/// Empty ──delete / shutdown──▶ Dead (any state ──shutdown──▶ Dead)
/// ```
public enum KafkaClassicGroupState: String, Sendable, Hashable, CaseIterable {
    /// No members; committed offsets may exist (simple consumers commit here with generation -1).
    case empty = "Empty"
    /// A rebalance started: waiting for the members to (re)join until they all have or the rebalance timeout.
    case preparingRebalance = "PreparingRebalance"
    /// The join completed: waiting for the leader's SyncGroup with the assignment.
    case completingRebalance = "CompletingRebalance"
    /// Every member has (or is being handed) the leader's assignment of the current generation.
    case stable = "Stable"
    /// The group was deleted or unloaded; every request is answered `COORDINATOR_NOT_AVAILABLE`.
    case dead = "Dead"
}
