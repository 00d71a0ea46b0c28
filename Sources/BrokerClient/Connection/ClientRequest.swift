import BrokerProtocol
import NIOCore

/// What a ``BrokerConnection`` writes into its channel: one request, before it has a correlation id.
///
/// ``ClientChannelHandler`` gives it a correlation id, frames it, and completes `responsePromise`
/// with the matching response frame (or fails it). A request without a `responsePromise` expects no
/// response (a produce with acks `none`).
struct ClientRequest {
    /// The API called.
    var apiKey: APIKey
    /// The version `body` is encoded in.
    var apiVersion: UInt16
    /// The encoded request body.
    var body: ByteBuffer
    /// Completed with the response, or `nil` when the broker sends none.
    var responsePromise: EventLoopPromise<ResponseFrame>?
    /// How long to wait for the response before failing it and closing the connection.
    var timeout: TimeAmount?
}
