import ArgumentParser
import BrokerClient

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
            if let interrupted = error as? ToolInterrupted {
                StandardOutput.writeError(program: program, interrupted.message)
                Command.exit(withError: ExitCode(128 + interrupted.signal))
            }
            let message =
                (error as? ClientError)?.message
                ?? Command.message(for: error).split(whereSeparator: \.isNewline).first.map(String.init)
                ?? "\(error)"
            StandardOutput.writeError(program: program, message)
            Command.exit(withError: ExitCode(code.rawValue == 0 ? 1 : code.rawValue))
        }
    }
}
