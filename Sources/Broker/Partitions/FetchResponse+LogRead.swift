import BrokerProtocol
import LogStore

extension FetchResponse.PartitionData {
    /// The fetch answer for what a read of `topic`/`partition` returned: its batches, or, when the
    /// offset lies in a range that damage on disk took, ``ErrorCode/offsetsLost`` with that range
    /// so that the client can step over it.
    init(reading result: LogReadResult, topic: String, partition: Int32) {
        if let lost = result.lostOffsets {
            self.init(
                partition: partition,
                lostOffsets: lost,
                errorMessage: "offsets \(lost.lowerBound)..\(lost.upperBound - 1) of \(topic)/\(partition) "
                    + "were lost to damage on disk; the next offset is \(lost.upperBound)",
                logStartOffset: result.logStartOffset,
                logEndOffset: result.logEndOffset
            )
        } else {
            self.init(
                partition: partition,
                logStartOffset: result.logStartOffset,
                logEndOffset: result.logEndOffset,
                records: result.bytes
            )
        }
    }
}
