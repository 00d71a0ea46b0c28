import ArgumentParser
import BrokerClient
import Foundation
import NIOCore
import Testing

@testable import ToolSupport

/// The parts of `consumer --exec`: how a handler's end maps to ack / reject / nack, its
/// environment, the process it runs in, and the options.
@Suite struct ConsumerExecPartsTests {
    @Test func exitStatusesMapToOutcomes() {
        #expect(ExecOutcome(.exited(0)) == .ack)
        #expect(ExecOutcome(.exited(100)) == .reject(reason: "exec: exit 100"))
        #expect(ExecOutcome(.exited(1)) == .nack(reason: "exec: exit 1"))
        #expect(ExecOutcome(.exited(3)) == .nack(reason: "exec: exit 3"))
        #expect(ExecOutcome(.exited(99)) == .nack(reason: "exec: exit 99"))
        #expect(ExecOutcome(.exited(101)) == .nack(reason: "exec: exit 101"))
        #expect(ExecOutcome(.exited(255)) == .nack(reason: "exec: exit 255"))
        #expect(ExecOutcome(.exited(126)) == .nack(reason: "exec: exit 126 (command not executable)"))
        #expect(ExecOutcome(.exited(127)) == .nack(reason: "exec: exit 127 (command not found)"))
        #expect(ExecOutcome(.signaled(SIGKILL)) == .nack(reason: "exec: killed by signal 9 (SIGKILL)"))
        #expect(ExecOutcome(.signaled(SIGSEGV)) == .nack(reason: "exec: killed by signal 11 (SIGSEGV)"))
        #expect(ExecOutcome(.signaled(40)) == .nack(reason: "exec: killed by signal 40"))
        #expect(
            ExecOutcome(.failed("cannot start /bin/sh: No such file or directory"))
                == .nack(reason: "exec: cannot start /bin/sh: No such file or directory")
        )
        #expect(ExecOutcome(.exited(0)).reason == nil)
    }

    @Test func waitStatusesDecode() {
        #expect(ExecTermination.waitStatus(0) == .exited(0))
        #expect(ExecTermination.waitStatus(100 << 8) == .exited(100))
        #expect(ExecTermination.waitStatus(255 << 8) == .exited(255))
        #expect(ExecTermination.waitStatus(9) == .signaled(9))
        #expect(ExecTermination.waitStatus(0x80 | 11) == .signaled(11))  // with a core dump
    }

    @Test func logLinesSayWhatHappensNext() {
        let facts = ExecRunner.GroupFacts(ackTimeout: .seconds(30), maxDeliveries: 5)
        #expect(
            ExecRunner.consequence(.nack(reason: "x"), deliveryCount: 1, facts: facts)
                == "delivery 1 of 5; delivered again after the group's backoff"
        )
        #expect(
            ExecRunner.consequence(.nack(reason: "x"), deliveryCount: 5, facts: facts)
                == "delivery 5 of 5; dead-lettered"
        )
        #expect(
            ExecRunner.consequence(.reject(reason: "x"), deliveryCount: 2, facts: facts) == "delivery 2; dead-lettered"
        )
    }

    static func record(key: [UInt8]?) -> ConsumerRecord {
        ConsumerRecord(
            topic: "orders",
            partition: 3,
            offset: 42,
            timestamp: 1_714_564_800_000,
            key: key.map { ByteBuffer(bytes: $0) },
            value: ByteBuffer(string: "v"),
            headers: []
        )
    }

    @Test func environmentNamesTheMessage() {
        let variables = ExecEnvironment.variables(
            for: Self.record(key: Array("k-1".utf8)),
            deliveryCount: 2,
            group: "billing"
        )
        #expect(
            variables.map(\.name) == [
                "SLUICE_TOPIC", "SLUICE_PARTITION", "SLUICE_OFFSET", "SLUICE_KEY", "SLUICE_DELIVERY_COUNT",
                "SLUICE_GROUP",
                "SLUICE_TIMESTAMP",
            ]
        )
        #expect(variables.map(\.value) == ["orders", "3", "42", "k-1", "2", "billing", "1714564800000"])
    }

    @Test func keysThatCannotBeAVariableAreBase64() {
        func keyVariables(_ key: [UInt8]?) -> [String] {
            ExecEnvironment.variables(for: Self.record(key: key), deliveryCount: 1, group: "g")
                .filter { $0.name.hasPrefix("SLUICE_KEY") }.map { "\($0.name)=\($0.value)" }
        }
        #expect(keyVariables(nil) == [])
        #expect(keyVariables([]) == ["SLUICE_KEY="])
        #expect(keyVariables(Array("é".utf8)) == ["SLUICE_KEY=é"])
        #expect(keyVariables([0xff, 0xfe]) == ["SLUICE_KEY_BASE64=//4="])
        #expect(keyVariables([0x61, 0x00, 0x62]) == ["SLUICE_KEY_BASE64=YQBi"])
    }

    @Test func inheritedEnvironmentDropsStaleMessageVariables() throws {
        // Not setenv: changing the test process's environment races with every Process.run() of
        // the tests running beside this one (a run crashed in Foundation copying `environ`).
        let environment = ["PATH=/usr/bin", "SLUICE_KEY=stale", "SLUICE_EXEC_TEST_KEEP=kept"].map { Array($0.utf8) }
        let inherited = ExecEnvironment.inherited(from: environment).map { String(decoding: $0, as: UTF8.self) }
        #expect(inherited.contains("SLUICE_EXEC_TEST_KEEP=kept"))
        #expect(!inherited.contains { $0.hasPrefix("SLUICE_KEY=") })
    }

    /// Runs `command` through ExecProcess with `value` on standard input.
    static func run(_ command: String, value: String = "", environment: [String] = []) async throws -> ExecTermination {
        let process = try ExecProcess.start(command: command, environment: environment.map { Array($0.utf8) })
        return await process.finish(writing: Array(value.utf8))
    }

    @Test func processGetsTheValueAndTheEnvironmentAndReportsHowItEnded() async throws {
        signal(SIGPIPE, SIG_IGN)  // As the consumer does: a handler may not read its whole value.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-exec-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out").path
        let termination = try await Self.run(
            "cat > \(output); echo \"$GREETING\" >> \(output); exit 7",
            value: "the value\nsecond line",
            environment: ["GREETING=hello"]
        )
        #expect(termination == .exited(7))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "the value\nsecond linehello\n")
        #expect(try await Self.run("exit 0") == .exited(0))
        #expect(try await Self.run("exit 100") == .exited(100))
        #expect(try await Self.run("kill -9 $$") == .signaled(SIGKILL))
        // A value far larger than a pipe's buffer, not read: the handler's end is still seen.
        #expect(try await Self.run("exit 0", value: String(repeating: "x", count: 1 << 20)) == .exited(0))
    }

    /// A key too large for the environment (Linux takes at most 128 KiB per string) cannot start
    /// the shell: a thrown error with the system's reason, which the runner turns into a nack.
    @Test func aShellThatCannotStartIsAnError() throws {
        let huge = "SLUICE_KEY=" + String(repeating: "k", count: 200 << 10)
        #expect {
            _ = try ExecProcess.start(command: "exit 0", environment: [Array(huge.utf8)])
        } throws: { error in
            "\(error)".contains("cannot start /bin/sh: Argument list too long")
        }
        let reason = ExecOutcome(.failed("cannot start /bin/sh: Argument list too long")).reason
        #expect(reason == "exec: cannot start /bin/sh: Argument list too long")
    }

    /// The consumer ignores SIGPIPE and handles SIGINT/SIGTERM; its handlers must start with every
    /// signal at its default action, none blocked, in a process group of their own.
    @Test func processStartsWithDefaultSignalsInItsOwnGroup() async throws {
        signal(SIGPIPE, SIG_IGN)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-exec-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("status").path
        // `exec`: the shell's own signal handling (it blocks signals while it waits) is not measured.
        let termination = try await Self.run(
            "echo \"$$ $(cut -d' ' -f5 /proc/$$/stat)\" > \(output); "
                + "exec grep -E '^(SigIgn|SigBlk)' /proc/self/status >> \(output)"
        )
        #expect(termination == .exited(0))
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        func mask(_ name: String) -> UInt64? {
            lines.first { $0.hasPrefix(name + ":\t") }.flatMap { UInt64($0.dropFirst(name.count + 2), radix: 16) }
        }
        // Signals 1-31 (glibc's posix_spawn leaves its own internal signals 32 and 33 ignored).
        #expect(mask("SigIgn").map { $0 & 0x7fff_ffff } == 0, "\(lines)")
        #expect(mask("SigBlk") == 0, "\(lines)")
        let ids = lines.first?.split(separator: " ").map(String.init) ?? []
        #expect(ids.count == 2 && ids[0] == ids[1], "process id = process group id: \(lines)")
    }

    @Test func optionsBoundConcurrencyAndNeedExec() throws {
        let base = ["--topic", "t", "--group", "g"]
        let options = try ConsumerOptions.parse(base + ["--exec", "./handle", "--concurrency", "8"])
        #expect(options.exec == "./handle")
        #expect(options.concurrency == 8)
        _ = try ConsumerOptions.parse(base + ["--exec", "true", "--concurrency", "1024"])
        for (arguments, expected) in [
            (["--exec", "true", "--concurrency", "0"], "--concurrency must be from 1 to 1024, got 0"),
            (["--exec", "true", "--concurrency", "1025"], "--concurrency must be from 1 to 1024, got 1025"),
            (["--exec", "true", "--concurrency", "-2"], "--concurrency must be from 1 to 1024, got -2"),
            (["--concurrency", "4"], "--concurrency needs --exec"),
            (["--exec", " "], "--exec needs a command"),
        ] {
            let refusal = try #require(ToolOptionsTests.refusal(ConsumerOptions.self, base + arguments), "\(arguments)")
            #expect(refusal.contains(expected), "\(arguments): \(refusal)")
        }
        let withoutGroup = try #require(
            ToolOptionsTests.refusal(ConsumerOptions.self, ["--topic", "t", "--exec", "x"])
        )
        #expect(withoutGroup.contains("need --group"), "\(withoutGroup)")
    }
}
