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
public struct ConnectionOptions: ParsableArguments {
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

/// Runs a tool's root command with one-line errors: `PROGRAM: message` on standard error and a
/// non-zero exit, instead of ArgumentParser's usage text or a stack trace. Help and version
/// requests print as usual.
public enum ToolMain {
    /// Parses and runs `Command`; never returns normally on failure.
    public static func main<Command: AsyncParsableCommand>(_ type: Command.Type, program: String) async {
        do {
            var command = try Command.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = Command.exitCode(for: error)
            if code == .success { Command.exit(withError: error) }
            if let exit = error as? ExitCode { Command.exit(withError: exit) }
            let message =
                (error as? ClientError)?.message
                ?? Command.message(for: error).split(whereSeparator: \.isNewline).first.map(String.init)
                ?? "\(error)"
            StandardOutput.writeError(program: program, message)
            Command.exit(withError: ExitCode(code.rawValue == 0 ? 1 : code.rawValue))
        }
    }
}
