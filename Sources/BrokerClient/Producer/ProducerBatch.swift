import NIOCore
import RecordCodec

/// Records gathered for one partition, waiting to be sent as one record batch.
///
/// A batch takes records until it is ready: full (``Producer``'s `batchBytes`), past its linger
/// deadline, or flushed. Owned by the ``Producer`` actor; not thread-safe.
final class ProducerBatch {
    /// Unique within the producer, to recognise the batch a keyless topic sticks to.
    let id: UInt64
    /// The topic.
    let topic: String
    /// The partition, or ``BrokerProtocol/ProduceRequest/anyPartition`` when the broker chooses.
    let partition: Int32
    /// When the batch is sent even if not full.
    let deadline: NIODeadline
    /// What every record of the batch waits for.
    let outcome = BatchOutcome()
    /// The records, in order.
    private(set) var records: [Record] = []
    /// Estimated encoded bytes of the records.
    private(set) var bytes = 0
    /// Whether a record carries a message id header.
    private(set) var hasMessageIDs = false
    /// Whether the batch takes no more records and may be sent.
    var isReady = false

    init(id: UInt64, topic: String, partition: Int32, deadline: NIODeadline) {
        self.id = id
        self.topic = topic
        self.partition = partition
        self.deadline = deadline
    }

    /// Whether a record of `size` bytes fits under `limit` (an empty batch takes any record).
    func canAppend(size: Int, limit: Int) -> Bool {
        !isReady && (records.isEmpty || bytes + size <= limit)
    }

    /// Appends a record and returns its index in the batch.
    func append(_ record: Record, size: Int, hasMessageID: Bool) -> Int {
        precondition(!isReady)
        records.append(record)
        bytes += size
        hasMessageIDs = hasMessageIDs || hasMessageID
        return records.count - 1
    }

    /// The estimated encoded size of a record in a batch.
    static func estimatedSize(key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader]) -> Int {
        var size = 30 + (key?.readableBytes ?? 0) + (value?.readableBytes ?? 0)
        for header in headers { size += 10 + header.key.utf8.count + (header.value?.readableBytes ?? 0) }
        return size
    }
}
