import Foundation
import Testing

/// A `brokerd` with one topic, handler scripts in a temporary directory, and `consumer --exec` runs
/// against them, for ``ConsumerExecTests``.
final class ExecFixture {
    let directory: TemporaryDirectory
    let broker: BrokerdProcess
    let topic: String
    /// Where the handlers write (`LOG` in their environment).
    let logPath: String
    /// Value → `PARTITION@OFFSET`, from the producer's output.
    private(set) var placeOfValue: [String: String] = [:]

    init(topic: String = "jobs", partitions: Int = 2) async throws {
        directory = try TemporaryDirectory()
        broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        self.topic = topic
        logPath = directory.path + "/log"
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", topic, "--partitions", "\(partitions)"]
        )
        guard created.status == 0 else { throw CrashTestError("topics create: \(created.standardError)") }
    }

    deinit { broker.kill() }

    /// Produces `KEY VALUE` lines, and one message without a key per value of `keyless`.
    func produce(_ keyed: [(key: String, value: String)], keyless: [String] = []) async throws {
        if !keyed.isEmpty {
            let produced = try await runTool(
                "producer",
                ["--broker", broker.address, "--topic", topic, "--key-separator", " "],
                input: keyed.map { "\($0.key) \($0.value)" }.joined(separator: "\n") + "\n"
            )
            guard produced.status == 0 else { throw CrashTestError("producer: \(produced.standardError)") }
            record(produced.lines, values: keyed.map(\.value))
        }
        for value in keyless {
            let produced = try await runTool("producer", ["--broker", broker.address, "--topic", topic, value])
            guard produced.status == 0 else { throw CrashTestError("producer: \(produced.standardError)") }
            record(produced.lines, values: [value])
        }
    }

    private func record(_ lines: [String], values: [String]) {
        for (line, value) in zip(lines, values) {
            // TOPIC/PARTITION@OFFSET
            placeOfValue[value] = String(line.dropFirst(topic.count + 1))
        }
    }

    /// Writes `body` as a `/bin/sh` script named `name` (mode 0644: run it as `sh PATH`); its path.
    func script(_ name: String, _ body: String) throws -> String {
        let path = directory.path + "/" + name
        try ("#!/bin/sh\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `consumer --group GROUP --from earliest --until-end --exec COMMAND` plus `extra`, with `LOG`
    /// and `DIR` in its environment, bounded by `timeoutSeconds`.
    func consume(
        group: String = "workers",
        exec command: String,
        _ extra: [String] = [],
        timeoutSeconds: Double = 120
    ) async throws -> ToolRun {
        try await runTool(
            "consumer",
            [
                "--broker", broker.address, "--topic", topic, "--group", group, "--from", "earliest", "--until-end",
                "--exec", command,
            ] + extra,
            environment: ["LOG": logPath, "DIR": directory.path],
            timeoutSeconds: timeoutSeconds
        )
    }

    /// `consumer --group workers --from earliest --exec COMMAND` started and left running (no
    /// `--until-end`), with `LOG` and `DIR` in its environment.
    func startConsumer(exec command: String) throws -> RunningTool {
        try RunningTool(
            "consumer",
            [
                "--broker", broker.address, "--topic", topic, "--group", "workers", "--from", "earliest", "--exec",
                command,
            ],
            environment: ["LOG": logPath, "DIR": directory.path]
        )
    }

    /// The lines the handlers appended to `LOG`.
    func logLines() -> [String] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// `brokerctl groups describe GROUP --json`.
    func describe(_ group: String = "workers") async throws -> [String: Any] {
        let described = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "groups", "describe", group, "--json"]
        )
        guard described.status == 0,
            let object = try JSONSerialization.jsonObject(with: Data(described.standardOutput.utf8)) as? [String: Any]
        else { throw CrashTestError("groups describe: \(described.standardError)") }
        return object
    }

    /// Whether every partition of the group has lag 0.
    func isCaughtUp(_ group: String = "workers") async throws -> Bool {
        let partitions = try await describe(group)["partitions"] as? [[String: Any]] ?? []
        return !partitions.isEmpty && partitions.allSatisfy { ($0["lag"] as? Int) == 0 }
    }

    /// The records of the group's dead-letter topic, as JSON objects.
    func deadLetters(_ group: String = "workers") async throws -> [[String: Any]] {
        let read = try await runTool(
            "consumer",
            ["--broker", broker.address, "--topic", "dlq.\(group).\(topic)", "--format", "json", "--until-end"]
        )
        guard read.status == 0 else { throw CrashTestError("consumer dlq: \(read.standardError)") }
        return read.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

/// The value of the first header named `name` of a JSON record.
func header(_ name: String, of record: [String: Any]) -> String? {
    let headers = record["headers"] as? [[String: Any]] ?? []
    return headers.first { ($0["key"] as? String) == name }?["value"] as? String
}
