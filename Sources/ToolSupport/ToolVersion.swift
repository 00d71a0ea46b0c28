/// The version the tools print for `--version` (the release of Sluice they belong to).
public enum ToolVersion {
    /// `0.1.0`, the version `brokerd` reports (its `BrokerConfiguration.version`).
    public static let current = "0.1.0"
}
