import Synchronization

/// Why a connection closed, readable from any thread: the handshake reads it when its write failed
/// because the broker had already refused the connection (over `maxConnections`) and closed it.
final class CloseReason: Sendable {
    private let reason = Mutex<ClientError?>(nil)

    /// The first reason recorded, if any.
    var error: ClientError? { reason.withLock { $0 } }

    /// Records `error` unless a reason is already known.
    func record(_ error: ClientError?) {
        reason.withLock { if $0 == nil { $0 = error } }
    }
}
