import NIOCore

/// `credit` v0 response: empty body (errors are request level: `unknownSubscription`).
public struct CreditResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.credit

    public init() {}
    public func encode(into buffer: inout ByteBuffer) {}
    public init(decoding buffer: inout ByteBuffer) throws {}
}

/// `leave` v0 response: empty body (errors are request level: `unknownSubscription`).
public struct LeaveResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.leave

    public init() {}
    public func encode(into buffer: inout ByteBuffer) {}
    public init(decoding buffer: inout ByteBuffer) throws {}
}

/// `deleteGroup` v0 response: empty body (errors are request level: `unknownGroup`,
/// `groupHasMembers`, …).
public struct DeleteGroupResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.deleteGroup

    public init() {}
    public func encode(into buffer: inout ByteBuffer) {}
    public init(decoding buffer: inout ByteBuffer) throws {}
}
