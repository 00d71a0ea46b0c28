import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM as a request to finish: the first one calls a handler (the tool stops
/// reading and prints what is still acknowledged); a second one ends the process at once, as if
/// nothing had been installed. Keep the value alive while the handler should run.
final class InterruptSignals {
    /// The signals handled.
    static let signals: [Int32] = [SIGINT, SIGTERM]

    private let sources: [any DispatchSourceSignal]

    /// Installs `handler` for the first SIGINT or SIGTERM.
    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for number in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // The next one takes the default action: a second Ctrl-C ends the process.
                for other in InterruptSignals.signals { signal(other, SIG_DFL) }
                handler(number)
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Restores the default actions.
    func cancel() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}

/// A tool stopped by SIGINT or SIGTERM after finishing what it had started: ``ToolMain`` prints
/// `PROGRAM: interrupted …` and exits with 128 + the signal number, as a shell reports it.
public struct ToolInterrupted: Error, Sendable {
    /// The signal received.
    public var signal: Int32
    /// What was done before stopping, appended to the message (may be empty).
    public var summary: String

    /// The one-line message.
    public var message: String { "interrupted by \(signal == SIGINT ? "SIGINT" : "SIGTERM")\(summary)" }
}
