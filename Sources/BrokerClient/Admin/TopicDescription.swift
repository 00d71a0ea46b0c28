import BrokerProtocol

/// A topic's settings and partitions, as ``Admin/describeTopic(_:)`` reports them.
public struct TopicDescription: Hashable, Sendable {
    /// One partition's offsets and storage.
    public struct Partition: Hashable, Sendable {
        /// The partition number.
        public var partition: Int32
        /// The first offset still kept.
        public var startOffset: Int64
        /// The offset the next record will get.
        public var endOffset: Int64
        /// Bytes on disk.
        public var sizeBytes: Int64
        /// How many segments the partition has.
        public var segmentCount: Int32

        /// Creates a description.
        public init(partition: Int32, startOffset: Int64, endOffset: Int64, sizeBytes: Int64, segmentCount: Int32) {
            self.partition = partition
            self.startOffset = startOffset
            self.endOffset = endOffset
            self.sizeBytes = sizeBytes
            self.segmentCount = segmentCount
        }
    }

    /// The topic name.
    public var name: String
    /// How long records are kept, in milliseconds; `nil` keeps them forever.
    public var retentionMilliseconds: Int64?
    /// The most bytes kept per partition; `nil` for no limit.
    public var retentionBytes: Int64?
    /// The size at which a segment is rolled.
    public var segmentBytes: Int64
    /// The partitions, in order.
    public var partitions: [Partition]

    /// Creates a description.
    public init(
        name: String,
        retentionMilliseconds: Int64?,
        retentionBytes: Int64?,
        segmentBytes: Int64,
        partitions: [Partition]
    ) {
        self.name = name
        self.retentionMilliseconds = retentionMilliseconds
        self.retentionBytes = retentionBytes
        self.segmentBytes = segmentBytes
        self.partitions = partitions
    }

    init(_ response: DescribeTopicResponse) {
        self.init(
            name: response.topic,
            retentionMilliseconds: response.retentionMilliseconds >= 0 ? response.retentionMilliseconds : nil,
            retentionBytes: response.retentionBytes >= 0 ? response.retentionBytes : nil,
            segmentBytes: response.segmentBytes,
            partitions: response.partitions.map {
                Partition(
                    partition: $0.partition,
                    startOffset: $0.logStartOffset,
                    endOffset: $0.logEndOffset,
                    sizeBytes: $0.sizeBytes,
                    segmentCount: $0.segmentCount
                )
            }
        )
    }
}
