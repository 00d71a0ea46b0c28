import NIOConcurrencyHelpers
import NIOCore

/// The open client connections, so that a graceful shutdown can ask each to finish its in-flight
/// requests and close, and wait until they have.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        let load: ConnectionLoad
        let drain: @Sendable () -> Void
    }

    private let entries = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])

    var count: Int { entries.withLockedValue { $0.count } }

    /// The open connections' channels and loads.
    var connections: [(channel: any Channel, load: ConnectionLoad)] {
        entries.withLockedValue { $0.values.map { ($0.channel, $0.load) } }
    }

    /// Remembers `channel`; `drain` runs on the channel's event loop at shutdown.
    func register(_ channel: any Channel, load: ConnectionLoad, drain: @escaping () -> Void) {
        let loopBound = NIOLoopBound(drain, eventLoop: channel.eventLoop)
        let entry = Entry(channel: channel, load: load) {
            channel.eventLoop.execute { loopBound.value() }
        }
        entries.withLockedValue { $0[ObjectIdentifier(channel)] = entry }
    }

    func unregister(_ channel: any Channel) {
        _ = entries.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Asks every connection to finish and close.
    func drainAll() {
        for entry in entries.withLockedValue({ Array($0.values) }) { entry.drain() }
    }

    /// Closes every connection at once.
    func closeAll() {
        for entry in entries.withLockedValue({ Array($0.values) }) { entry.channel.close(promise: nil) }
    }
}
