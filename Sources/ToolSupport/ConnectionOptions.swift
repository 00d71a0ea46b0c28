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
    @Option(name: .long, help: ArgumentHelp(BrokerOptionSyntax.help, valueName: "host:port"))
    public var broker: String?

    public init() {}

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
