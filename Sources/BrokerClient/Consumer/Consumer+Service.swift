import ServiceLifecycle
import Synchronization

/// A consumer is a swift-service-lifecycle `Service`: in a `ServiceGroup`, a graceful shutdown
/// ends its ``Consumer/records()`` iterations after the record being handled (see
/// ``Consumer/stop()``), so the service that handles them finishes that record and returns.
extension Consumer: Service {
    /// Waits for a graceful shutdown (or the task's cancellation), then calls ``stop()``.
    /// Records are read by ``records()`` or ``poll()`` whether or not it runs.
    public func run() async throws {
        try? await gracefulShutdown()
        stop()
    }

    /// Ends every ``records()`` iteration at its next step, and makes ``poll()`` return no records.
    ///
    /// A record already handed out is the caller's to finish. Records fetched but not yet handed
    /// out are given back: ``positions`` moves back to the first of them, so `positions` is where
    /// a later consumer should start. A poll in flight is awaited first (at most
    /// ``ConsumerConfiguration/maxWait`` plus the network), and its records are given back too.
    public nonisolated func stop() {
        stopFlag.stop()
    }

    /// Whether ``stop()`` was called.
    public nonisolated var isStopped: Bool { stopFlag.isStopped }

    /// Moves positions back to the first record of each partition that was fetched but not handed
    /// out (after ``stop()``).
    func giveBack(_ records: ArraySlice<ConsumerRecord>) {
        for record in records {
            if let position = positions[record.partition], record.offset < position {
                positions[record.partition] = record.offset
            }
        }
    }
}

/// The flag behind ``Consumer/stop()``, read without a hop onto the consumer's actor at every record.
final class StopFlag: Sendable {
    private let stopped = Atomic<Bool>(false)

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    func stop() { stopped.store(true, ordering: .releasing) }
}
