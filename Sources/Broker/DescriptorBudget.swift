/// How a broker's file descriptors are shared out, and the limits that fit in them.
///
/// A broker needs descriptors for
/// - itself (``reservedDescriptors``): standard streams, listening sockets, the event loops'
///   epoll and wake-up descriptors, the thread pool, the metrics server, metadata files being
///   written and sealed segments being read;
/// - each client connection (``descriptorsPerConnection``: its socket);
/// - each open partition (``descriptorsPerPartition``: its lock file and its active segment's
///   log, offset index and time index). Sealed segments are opened on demand by LogStore and
///   count against the reserve.
///
/// When the configured limits need more than the process's descriptor limit (`RLIMIT_NOFILE`),
/// ``fit(_:descriptorLimit:keeping:)`` lowers those that were not set explicitly: connections get a
/// quarter of what is left after the reserve, partitions the rest.
public struct DescriptorBudget: Sendable, Hashable {
    /// Descriptors kept for the process itself.
    public static let reservedDescriptors = 256
    /// Descriptors one client connection holds.
    public static let descriptorsPerConnection = 1
    /// Descriptors one open partition holds.
    public static let descriptorsPerPartition = 4
    /// The fewest connections and partitions a broker is fitted to; below that it refuses to start.
    public static let minimumConnections = 16
    /// See ``minimumConnections``.
    public static let minimumPartitions = 16

    /// Which limits the operator set explicitly (and ``fit(_:descriptorLimit:keeping:)`` keeps).
    public struct ExplicitLimits: OptionSet, Sendable, Hashable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// `maxConnections` was set.
        public static let connections = ExplicitLimits(rawValue: 1)
        /// `maxPartitionsTotal` was set.
        public static let partitions = ExplicitLimits(rawValue: 2)
        /// `maxTopics` was set.
        public static let topics = ExplicitLimits(rawValue: 4)
    }

    /// The limits after fitting.
    public var limits: BrokerLimits
    /// What was decided, one sentence each, for the log.
    public var decisions: [String]
    /// Whether the limits, as fitted, may need more descriptors than the limit (explicit limits too high).
    public var isOverCommitted: Bool

    /// The descriptors `limits` need at most.
    public static func descriptorsNeeded(for limits: BrokerLimits) -> Int {
        let (connections, overflow1) = limits.maxConnections.multipliedReportingOverflow(by: descriptorsPerConnection)
        let (partitions, overflow2) = limits.maxPartitionsTotal.multipliedReportingOverflow(by: descriptorsPerPartition)
        guard !overflow1, !overflow2 else { return Int.max }
        let (total, overflow3) = (reservedDescriptors + connections).addingReportingOverflow(partitions)
        return overflow3 ? Int.max : total
    }

    /// The fewest descriptors a broker starts with.
    public static var minimumDescriptorLimit: Int {
        reservedDescriptors + minimumConnections * descriptorsPerConnection + minimumPartitions
            * descriptorsPerPartition
    }

    /// Fits `limits` into `descriptorLimit` descriptors, keeping the `explicit` ones.
    /// - Throws: ``BrokerError`` `limitExceeded` when `descriptorLimit` is below ``minimumDescriptorLimit``.
    public static func fit(
        _ limits: BrokerLimits,
        descriptorLimit: Int,
        keeping explicit: ExplicitLimits = []
    ) throws -> DescriptorBudget {
        guard descriptorLimit >= minimumDescriptorLimit else {
            throw BrokerError(
                .limitExceeded,
                "the descriptor limit (ulimit -n) is \(descriptorLimit); the broker needs at least \(minimumDescriptorLimit)"
            )
        }
        var limits = limits
        var decisions: [String] = []
        let needed = descriptorsNeeded(for: limits)
        if needed > descriptorLimit {
            let available = descriptorLimit - reservedDescriptors
            var connectionShare = available / 4
            if explicit.contains(.connections) {
                connectionShare = min(available, limits.maxConnections * descriptorsPerConnection)
            } else if explicit.contains(.partitions) {
                connectionShare = max(
                    minimumConnections * descriptorsPerConnection,
                    available - limits.maxPartitionsTotal * descriptorsPerPartition
                )
            }
            if !explicit.contains(.connections) {
                let fitted = max(
                    minimumConnections,
                    min(limits.maxConnections, connectionShare / descriptorsPerConnection)
                )
                if fitted < limits.maxConnections {
                    decisions.append("maxConnections lowered from \(limits.maxConnections) to \(fitted)")
                    limits.maxConnections = fitted
                }
            }
            if !explicit.contains(.partitions) {
                let share = available - limits.maxConnections * descriptorsPerConnection
                let fitted = max(minimumPartitions, min(limits.maxPartitionsTotal, share / descriptorsPerPartition))
                if fitted < limits.maxPartitionsTotal {
                    decisions.append("maxPartitionsTotal lowered from \(limits.maxPartitionsTotal) to \(fitted)")
                    limits.maxPartitionsTotal = fitted
                }
            }
        }
        if !explicit.contains(.topics) && limits.maxTopics > limits.maxPartitionsTotal {
            decisions.append("maxTopics lowered from \(limits.maxTopics) to \(limits.maxPartitionsTotal)")
            limits.maxTopics = limits.maxPartitionsTotal
        }
        let fittedNeed = descriptorsNeeded(for: limits)
        let isOverCommitted = fittedNeed > descriptorLimit
        if isOverCommitted {
            decisions.append(
                "the limits set explicitly need up to \(fittedNeed) descriptors, above the limit of \(descriptorLimit): "
                    + "connections or topic changes may fail with 'Too many open files'"
            )
        } else {
            decisions.append(
                "\(limits.maxConnections) connections and \(limits.maxPartitionsTotal) partitions need up to "
                    + "\(fittedNeed) of \(descriptorLimit) descriptors"
            )
        }
        return DescriptorBudget(limits: limits, decisions: decisions, isOverCommitted: isOverCommitted)
    }
}
