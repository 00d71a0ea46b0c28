import LogStore
import Logging

/// How the broker logs what opening a partition's log found and did.
enum RecoveryLogging {
    /// Logs `report` at info level (debug for a clean open that changed nothing): one line with the
    /// counts (segments checked, batches validated, bytes cut, offsets lost), then one line per
    /// segment recovery changed.
    static func log(_ report: RecoveryReport, topic: String, partition: Int32, to logger: Logger) {
        // A directory with no segment yet is a new partition, not a recovery: nothing to report.
        if report.segments.isEmpty && report.removedFiles.isEmpty && report.lostOffsets.isEmpty {
            logger.debug("created partition log", metadata: ["topic": "\(topic)", "partition": "\(partition)"])
            return
        }
        var metadata: Logger.Metadata = [
            "topic": "\(topic)",
            "partition": "\(partition)",
            "cleanShutdown": "\(report.wasCleanShutdown)",
            "segmentsChecked": "\(report.segments.count)",
            "segmentsValidated": "\(report.validatedSegments.count)",
            "batchesValidated": "\(report.validatedBatches)",
            "bytesValidated": "\(report.validatedBytes)",
            "bytesCut": "\(report.truncatedBytes)",
            "offsetsLost": "\(report.lostOffsetCount)",
        ]
        if !report.lostOffsets.isEmpty {
            metadata["lostOffsets"] = "\(report.lostOffsets.map { "\($0.lowerBound)..\($0.upperBound - 1)" })"
        }
        let changedNothing =
            report.wasCleanShutdown && report.repairs.isEmpty && report.lostOffsets.isEmpty
            && report.removedFiles.isEmpty
        logger.log(
            level: changedNothing ? .debug : .info,
            "opened partition log: \(report.summary)",
            metadata: metadata
        )
        for repair in report.repairs {
            logger.info(
                "recovery repaired a segment: \(repair.summary)",
                metadata: [
                    "topic": "\(topic)",
                    "partition": "\(partition)",
                    "segment": "\(repair.baseOffset)",
                    "bytesCut": "\(repair.cutBytes)",
                    "offsetsLost": "\(repair.lostOffsets.map { Int64($0.count) } ?? 0)",
                ]
            )
        }
    }
}
