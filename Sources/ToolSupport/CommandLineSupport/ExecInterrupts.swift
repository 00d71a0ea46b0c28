import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM for `consumer --exec`, in two steps: the first calls `drain` (start no more
/// handlers, let the running ones finish), the second calls `abandon` (kill them) and restores the
/// default actions, so that a third one ends the consumer at once. Keep the value alive while it
/// should act; ``cancel()`` restores the default actions.
final class ExecInterrupts: @unchecked Sendable {
    private let queue = DispatchQueue(label: "sluice.consumer.exec-interrupts")
    private var sources: [any DispatchSourceSignal] = []
    /// Signals received; touched on `queue` only.
    private var received = 0

    /// Installs the handlers; each gets the signal's number.
    init(drain: @escaping @Sendable (Int32) -> Void, abandon: @escaping @Sendable (Int32) -> Void) {
        for number in InterruptSignals.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            // The handler holds its source until cancel() takes it away.
            source.setEventHandler { [weak self, source] in
                guard let self else { return }
                // Signals that came close together arrive as one event: `data` counts them.
                let before = self.received
                self.received += max(1, Int(source.data))
                if before == 0 { drain(number) }
                if before < 2, self.received >= 2 {
                    for other in InterruptSignals.signals { signal(other, SIG_DFL) }
                    abandon(number)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Restores the default actions.
    func cancel() {
        queue.sync {
            for source in sources {
                source.setEventHandler(handler: nil)
                source.cancel()
            }
            for number in InterruptSignals.signals { signal(number, SIG_DFL) }
        }
    }
}
