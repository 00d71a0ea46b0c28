/// Offsets of a partition that damage on the broker's disk took: no record will ever be read at
/// them.
///
/// ``Consumer/poll()`` throws this after moving the partition's position past the range: poll
/// again to go on reading. Its description is one line for a person:
/// `lost offsets 120..249 of orders/0 (damaged on disk); continuing at 250`.
public struct LostOffsets: Error, Sendable, Hashable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The offsets this consumer skips: from its position (or the start of the damaged range, if
    /// later) to the last lost offset.
    public var offsets: ClosedRange<Int64>

    /// Creates a value.
    public init(topic: String, partition: Int32, offsets: ClosedRange<Int64>) {
        self.topic = topic
        self.partition = partition
        self.offsets = offsets
    }

    /// The offset the consumer reads next.
    public var nextOffset: Int64 { offsets.upperBound + 1 }

    public var description: String {
        "lost offsets \(offsets.lowerBound)..\(offsets.upperBound) of \(topic)/\(partition) (damaged on disk); "
            + "continuing at \(nextOffset)"
    }
}
