import BrokerProtocol
import NIOCore

/// Picks a record's partition, in this order: the partition named by the producer; the
/// Kafka partitioner applied to the key; the Kafka partitioner applied to the message id (so a
/// retried message id reaches the partition that deduplicates it); otherwise `nil`, meaning
/// "round-robin per batch", which the ``Producer`` decides.
enum PartitionChooser {
    /// The partition for a record, or `nil` for a record that goes round-robin.
    static func partition(
        explicit: Int32?,
        key: ByteBuffer?,
        messageID: ByteBuffer?,
        partitionCount: Int32
    ) -> Int32? {
        if let explicit { return explicit }
        if let key {
            return Partitioner.partition(forKey: key.readableBytesView, partitionCount: partitionCount)
        }
        if let messageID {
            return Partitioner.partition(forKey: messageID.readableBytesView, partitionCount: partitionCount)
        }
        return nil
    }
}
