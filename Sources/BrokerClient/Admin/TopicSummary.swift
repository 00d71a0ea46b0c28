/// A topic's name and partition count, as ``Admin/listTopics()`` reports them.
public struct TopicSummary: Hashable, Sendable {
    /// The topic name.
    public var name: String
    /// How many partitions it has.
    public var partitionCount: Int32

    /// Creates a summary.
    public init(name: String, partitionCount: Int32) {
        self.name = name
        self.partitionCount = partitionCount
    }
}
