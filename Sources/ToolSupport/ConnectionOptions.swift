import ArgumentParser
import BrokerClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `--broker HOST:PORT`, shared by the tools.
public struct ConnectionOptions: ParsableArguments, Sendable {
    /// `--broker` as given; `nil` for `$SLUICE_BROKER` or the default.
    @Option(name: .long, help: ArgumentHelp(BrokerOptionSyntax.help, valueName: "host:port"))
    public var broker: String?

    /// Creates the defaults (ArgumentParser fills in the rest).
    public init() {}

    /// Refuses an address that is not HOST:PORT, in `--broker` or `$SLUICE_BROKER`.
    public func validate() throws {
        do {
            _ = try address()
        } catch let error as ClientError {
            throw ValidationError(error.message)
        }
    }

    /// The broker's address: `--broker`, else `$SLUICE_BROKER`, else the default.
    public func address() throws -> BrokerAddress {
        var environment: [String: String] = [:]
        if let value = getenv(BrokerAddress.environmentVariable) {
            environment[BrokerAddress.environmentVariable] = String(cString: value)
        }
        return try BrokerOptionSyntax.resolve(broker, environment: environment)
    }
}
