import BrokerProtocol

/// Something that carries requests to a broker and brings back responses: a ``BrokerConnection``,
/// or a fake in tests. ``Admin``, ``Producer`` and ``Consumer`` talk to the broker through it.
public protocol BrokerTransport: Sendable {
    /// Sends `request` and waits for its response.
    /// - Parameter timeout: how long to wait for the response; `nil` for the transport's default.
    /// - Throws: ``ClientError``: `broker(code)` for a request-level error response, a
    ///   connection-level code when the connection failed.
    func send<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as response: Response.Type,
        timeout: Duration?
    ) async throws -> Response

    /// Sends a request the broker does not answer (a produce with acks `none`); returns once it is
    /// written to the connection.
    func sendWithoutResponse<Request: WireMessage>(_ request: Request) async throws

    /// The largest frame the broker accepts, once known.
    var maxFrameBytes: Int? { get async }
}

extension BrokerTransport {
    /// Sends `request` and waits for its response, with the default timeout.
    public func send<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as response: Response.Type
    ) async throws -> Response {
        try await send(request, as: response, timeout: nil)
    }
}
