import BrokerProtocol

/// The async/await Sluice client. It arrives with issue 3.
public enum BrokerClientInfo {
    /// The APIs the client will speak.
    public static let apis = ProtocolVersions.supported
}
