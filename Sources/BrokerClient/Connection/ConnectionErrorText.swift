import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the errors of sockets and bootstraps into the short reasons a person reads
/// ("connection refused", "timed out after 5s", "cannot resolve host").
enum ConnectionErrorText {
    /// A short, lower-case, one-line reason for `error`.
    static func reason(for error: any Error) -> String {
        switch error {
        case let error as ClientError:
            return error.message
        case let error as IOError:
            return text(forErrno: error.errnoCode)
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first {
                return reason(for: first.error)
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return "cannot resolve host \(error.host)"
            }
            return "no address to connect to"
        case let error as ChannelError:
            switch error {
            case .connectTimeout(let amount):
                return "timed out after \(amount.nanoseconds / 1_000_000)ms"
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed:
                return "connection closed"
            default:
                return "\(error)"
            }
        case let error as SocketAddressError:
            switch error {
            case .unknown(let host, _):
                return "cannot resolve host \(host)"
            default:
                return "\(error)"
            }
        default:
            return "\(error)".split(whereSeparator: \.isNewline).joined(separator: " ")
        }
    }

    /// `strerror`, starting lower-case: "connection refused".
    static func text(forErrno code: Int32) -> String {
        guard let pointer = strerror(code) else { return "error \(code)" }
        let text = String(cString: pointer)
        guard let first = text.first else { return "error \(code)" }
        return first.lowercased() + text.dropFirst()
    }
}
