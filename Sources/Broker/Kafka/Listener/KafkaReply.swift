import NIOCore

/// What the Kafka listener does for one request, in the connection's request order.
enum KafkaReply: Sendable {
    /// Write this response frame: its buffers in order (a fetch response's record sets are the
    /// log's own buffers), then flush.
    case frame([ByteBuffer])
    /// No response is due (a Produce with acks = 0 that succeeded).
    case nothing
    /// Close the connection once the responses before this one are written, as Kafka does for
    /// a request it cannot serve, a malformed one, or a failed acks = 0 produce. The reason is
    /// logged.
    case close(reason: String)
}
