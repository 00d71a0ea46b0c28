import LogStore

extension LogConfiguration {
    /// The configuration of an internal log (`__group_state`, `__schedules`): every append
    /// flushed by group commit, no retention and no time-based roll (the log's owner deletes its
    /// segments itself).
    static func internalLog(segmentBytes: Int, maxBatchBytes: Int) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentBytes = segmentBytes
        configuration.maxBatchBytes = maxBatchBytes
        configuration.segmentMilliseconds = nil
        configuration.retentionMilliseconds = nil
        configuration.retentionBytes = nil
        configuration.flushPolicy = .durable
        return configuration
    }
}
