/// The Sluice wire protocol: frames, requests, responses and error codes.
///
/// It arrives with issue 3 (brokerd, the wire protocol and the client); this target holds only
/// what the package needs to build until then.
public enum BrokerProtocolVersion {
    /// The protocol generation this module will speak.
    public static let current = 1
}
