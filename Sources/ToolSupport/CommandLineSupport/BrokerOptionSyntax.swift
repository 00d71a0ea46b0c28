import BrokerClient

/// The `--broker HOST:PORT` option shared by every tool (each wraps it in its own
/// `ParsableArguments`, since the tools share no module but this one).
public enum BrokerOptionSyntax {
    /// The option's help text.
    public static let help =
        "The broker, HOST:PORT (default: $\(BrokerAddress.environmentVariable), else \(BrokerAddress.default))."

    /// The address to use: the option if given, else `$SLUICE_BROKER`, else `127.0.0.1:7420`.
    /// - Throws: ``ClientError`` (`invalidArgument`) naming the bad value.
    public static func resolve(_ option: String?, environment: [String: String]) throws -> BrokerAddress {
        guard let option else { return try BrokerAddress.fromEnvironment(environment) }
        guard let address = BrokerAddress(parsing: option) else {
            throw ClientError(.invalidArgument, "--broker \(option) is not HOST:PORT")
        }
        return address
    }
}
