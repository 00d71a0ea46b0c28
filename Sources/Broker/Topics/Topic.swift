import NIOConcurrencyHelpers

/// A topic: its settings and its partitions. Partitions are only ever added.
final class Topic: Sendable {
    let name: String
    let directory: String
    private let state: NIOLockedValueBox<(settings: TopicSettings, partitions: [Partition])>
    private let nextPartition = NIOLockedValueBox<Int32>(0)

    init(name: String, directory: String, settings: TopicSettings, partitions: [Partition]) {
        self.name = name
        self.directory = directory
        self.state = NIOLockedValueBox((settings, partitions))
    }

    var settings: TopicSettings { state.withLockedValue { $0.settings } }
    var partitions: [Partition] { state.withLockedValue { $0.partitions } }
    var partitionCount: Int32 { state.withLockedValue { Int32($0.partitions.count) } }

    func partition(_ index: Int32) -> Partition? {
        state.withLockedValue { index >= 0 && Int(index) < $0.partitions.count ? $0.partitions[Int(index)] : nil }
    }

    /// The next partition for a batch without a key: round-robin per batch.
    func nextRoundRobinPartition() -> Int32 {
        let count = partitionCount
        return nextPartition.withLockedValue { next in
            defer { next = (next + 1) % max(1, count) }
            return next % max(1, count)
        }
    }

    func add(_ partitions: [Partition], settings: TopicSettings) {
        state.withLockedValue { state in
            state.partitions.append(contentsOf: partitions)
            state.settings = settings
        }
    }
}
