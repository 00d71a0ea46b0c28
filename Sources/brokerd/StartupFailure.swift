import Broker
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why `brokerd` could not start, in one line that names what failed (the address, the
/// directory) and the system's reason: printed as `Error: …` with a non-zero exit status.
struct StartupFailure: Error, CustomStringConvertible {
    var description: String

    init(message: String) {
        description = message
    }

    /// Listening on `address` (given with `option`) failed.
    init(listening address: String, option: String, _ error: any Error) {
        description = "cannot listen on \(address) (\(option)): \(Self.reason(error))"
    }

    /// Starting the broker (listening on `address`, opening the data directory) failed.
    init(starting address: String, _ error: any Error) {
        if error is IOError || error is SocketAddressError {
            self.init(listening: address, option: "--listen", error)
        } else {
            self.init(message: "cannot start the broker: \(Self.reason(error))")
        }
    }

    /// The system's reason without Foundation or NIO decoration.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as IOError:
            return "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
        case let error as SocketAddressError:
            switch error {
            case .unknown(let host, let port): return "cannot resolve \(host):\(port)"
            default: return "\(error)"
            }
        default:
            return BrokerError(error).message
        }
    }
}
