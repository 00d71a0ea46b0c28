import Foundation
import ProcessTesting

/// Runs one of the kafka-python cross-check scripts in `Scripts/` (found beside this file: the tests
/// run from the source tree). Output goes through files, not pipes, so a large output cannot block
/// the script.
struct KafkaPythonScript {
    /// A failure to run the script, with the reason.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The script's file name in `Scripts/`.
    var name: String

    var url: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")
            .appendingPathComponent(name)
    }

    /// Runs the script with `arguments` and returns its standard output.
    /// - Throws: ``Failure`` saying what is missing (kafka-python: exit 3; python3: 127) or how it ended.
    func run(arguments: [String] = []) async throws -> Data {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", url.path] + arguments
        let (output, errors) = try await process.runCollectingOutput()
        let stderr = String(decoding: errors, as: UTF8.self)
        switch (process.terminationReason, process.terminationStatus) {
        case (.exit, 0):
            return output
        case (.exit, 3):
            throw Failure(description: "\(name) needs kafka-python 2.x: \(stderr)")
        case (.exit, 127):
            throw Failure(description: "python3 is not on PATH; \(name) needs it")
        case (let reason, let status):
            throw Failure(description: "\(name) ended with \(reason) \(status):\n\(stderr)")
        }
    }

    /// Runs the script and decodes its samples (name to hex).
    func samples() async throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: try await run())
    }
}
