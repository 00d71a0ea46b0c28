#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How one run of a `consumer --exec` handler ended.
public enum ExecTermination: Hashable, Sendable {
    /// It exited with this status (0-255).
    case exited(Int32)
    /// A signal ended it (`kill -9`, a crash).
    case signaled(Int32)
    /// It could not be run, or not waited for: the reason (`cannot start /bin/sh: …`).
    case failed(String)

    /// Decodes a `waitpid` status.
    static func waitStatus(_ status: Int32) -> ExecTermination {
        let signal = status & 0x7f
        if signal == 0 { return .exited((status >> 8) & 0xff) }
        return .signaled(signal)
    }
}

/// What `consumer --exec` does with a message once its handler has ended: exit 0 acknowledges it,
/// exit ``rejectStatus`` (100) dead-letters it at once, anything else (another status, a signal,
/// a command that cannot be run) is a failed delivery: delivered again after the group's backoff,
/// dead-lettered after its `maxDeliveries`.
public enum ExecOutcome: Hashable, Sendable {
    /// Done: acknowledge it.
    case ack
    /// Cannot be handled: reject it (the dead-letter topic) with this reason.
    case reject(reason: String)
    /// Failed: nack it (delivered again after the backoff) with this reason.
    case nack(reason: String)

    /// The exit status that rejects a message.
    public static let rejectStatus: Int32 = 100

    /// The outcome of `termination`. Reasons start with `exec: `: `exec: exit 3`,
    /// `exec: killed by signal 9 (SIGKILL)`, `exec: exit 127 (command not found)`.
    public init(_ termination: ExecTermination) {
        switch termination {
        case .exited(0):
            self = .ack
        case .exited(Self.rejectStatus):
            self = .reject(reason: "exec: exit \(Self.rejectStatus)")
        case .exited(126):
            self = .nack(reason: "exec: exit 126 (command not executable)")
        case .exited(127):
            self = .nack(reason: "exec: exit 127 (command not found)")
        case .exited(let status):
            self = .nack(reason: "exec: exit \(status)")
        case .signaled(let signal):
            let name = Self.signalNames[signal].map { " (\($0))" } ?? ""
            self = .nack(reason: "exec: killed by signal \(signal)\(name)")
        case .failed(let reason):
            self = .nack(reason: "exec: \(reason)")
        }
    }

    /// The reason sent with a reject or a nack; `nil` for an ack.
    public var reason: String? {
        switch self {
        case .ack: nil
        case .reject(let reason), .nack(let reason): reason
        }
    }

    /// Names of the signals a handler usually dies of.
    static let signalNames: [Int32: String] = [
        SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
        SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1",
        SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2", SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM",
        SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ",
    ]
}
