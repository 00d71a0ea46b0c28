/// The answer of an offset lookup in one partition.
public struct PartitionOffsets: Hashable, Sendable {
    /// The partition.
    public var partition: Int32
    /// The offset found; `nil` when no record has a timestamp at or after the one asked.
    public var offset: Int64?
    /// The first offset still kept.
    public var logStartOffset: Int64
    /// The offset the next record will get.
    public var logEndOffset: Int64

    /// Creates an answer.
    public init(partition: Int32, offset: Int64?, logStartOffset: Int64, logEndOffset: Int64) {
        self.partition = partition
        self.offset = offset
        self.logStartOffset = logStartOffset
        self.logEndOffset = logEndOffset
    }
}
