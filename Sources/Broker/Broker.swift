import LogStore

/// The embeddable Sluice server. It arrives with issue 3; until then this target only links
/// the storage engine it will be built on.
public enum BrokerInfo {
    /// The on-disk record batch format the broker stores and serves.
    public static let recordBatchMagic = RecordBatch.magic
}
