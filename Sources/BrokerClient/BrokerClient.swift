import BrokerProtocol

/// The async/await Sluice client. It arrives with issue 3.
public enum BrokerClientInfo {
    /// The protocol generation the client will speak.
    public static let protocolVersion = BrokerProtocolVersion.current
}
