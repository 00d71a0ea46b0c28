/// Where a produced record went.
public struct RecordMetadata: Hashable, Sendable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition; `-1` only if the broker chose it and did not answer (acks `none`).
    public var partition: Int32
    /// The record's offset; `nil` with acks `none`, which gets no answer.
    public var offset: Int64?

    /// Creates metadata.
    public init(topic: String, partition: Int32, offset: Int64?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    /// `TOPIC/PARTITION@OFFSET`, or `TOPIC/PARTITION` when the offset is not known.
    public var description: String {
        let place = partition >= 0 ? "\(topic)/\(partition)" : topic
        return offset.map { "\(place)@\($0)" } ?? place
    }
}
