import NIOConcurrencyHelpers

/// What one connection holds, published by its ``ConnectionHandler`` after every event so that
/// it can be read from any thread (tests, status).
final class ConnectionLoad: Sendable {
    /// One reading.
    struct Snapshot: Equatable, Sendable {
        /// Reservations of requests being served plus response bytes not yet written: what counts
        /// against `maxInFlightBytesPerConnection`.
        var inFlightBytes = 0
        /// The largest `inFlightBytes` seen.
        var peakInFlightBytes = 0
        /// Request bytes received and waiting to be served.
        var queuedBytes = 0
        /// Response bytes handed to the channel and not yet written to the socket.
        var unwrittenBytes = 0
        /// Push bytes (``PushOutlet``) handed to the channel and not yet written to the socket;
        /// not part of `inFlightBytes`.
        var unwrittenPushBytes = 0
        /// Whether the broker holds back reading from the connection.
        var isReadHeld = false
        /// Whether the connection has closed.
        var isClosed = false
    }

    private let box = NIOLockedValueBox(Snapshot())

    /// The latest reading.
    var snapshot: Snapshot { box.withLockedValue { $0 } }

    func update(
        inFlightBytes: Int,
        queuedBytes: Int,
        unwrittenBytes: Int,
        unwrittenPushBytes: Int = 0,
        isReadHeld: Bool,
        isClosed: Bool
    ) {
        box.withLockedValue {
            $0.unwrittenPushBytes = unwrittenPushBytes
            $0.inFlightBytes = inFlightBytes
            $0.peakInFlightBytes = max($0.peakInFlightBytes, inFlightBytes)
            $0.queuedBytes = queuedBytes
            $0.unwrittenBytes = unwrittenBytes
            $0.isReadHeld = isReadHeld
            $0.isClosed = isClosed
        }
    }
}
