import Foundation
import Testing

/// The worked example of docs/examples/order-timeout.md, run as a user would run it: six orders,
/// three paid (their timeouts cancelled), and exactly the three unpaid ones time out, each handled
/// once, also when the timeouts are delivered again.
@Suite("docs/examples/order-timeout.sh", .serialized)
struct OrderTimeoutExampleTests {
    static let unpaid = ["1001", "1004", "1006"]
    static let paid = ["1002", "1003", "1005"]

    static func checkOutput(_ run: ToolRun) {
        #expect(run.status == 0, "\(run.standardOutput)\n\(run.standardError)")
        let lines = run.lines
        func count(_ prefix: String) -> Int { lines.filter { $0.hasPrefix(prefix) }.count }
        for order in paid + unpaid {
            #expect(count("scheduled order-timeout:\(order) for ") == 1, "\(run.standardOutput)")
        }
        for order in paid {
            #expect(lines.contains("cancelled order-timeout:\(order)"), "\(run.standardOutput)")
            #expect(count("timed out: order \(order) ") == 0, "\(run.standardOutput)")
        }
        for order in unpaid {
            #expect(
                count("timed out: order \(order) cancelled (order-timeout:\(order) from ") == 1,
                "\(run.standardOutput)"
            )
            #expect(count("ignored: order-timeout:\(order) was handled already") == 1, "\(run.standardOutput)")
        }
        #expect(count("ignored: ") == unpaid.count, "\(run.standardOutput)")
        #expect(lines.contains("3 pending"), "\(run.standardOutput)")
        #expect(count("already delivered order-timeout:") == 1, "\(run.standardOutput)")
        #expect(lines.last == "== timed out: \(unpaid.joined(separator: " "))", "\(run.standardOutput)")
    }

    @Test func theExampleRunsAsDocumented() async throws {
        let binaries = try executable(named: "brokerd").deletingLastPathComponent().path
        let script = DurableAckSyscallTests.packageRoot.appendingPathComponent("docs/examples/order-timeout.sh")
        let run = try await runProcess(
            "/usr/bin/env",
            ["BIN=\(binaries)", "ORDER_TIMEOUT=8s", "bash", script.path],
            timeoutSeconds: 180
        )
        Self.checkOutput(run)
    }

    /// As uid 65534 (`setpriv`), with a world-writable temporary directory: the script, its broker,
    /// the tools and the handler need nothing of root's.
    @Test(
        "the example runs as uid 65534",
        .enabled(if: Unprivileged.isAvailable, Comment(rawValue: Unprivileged.unavailableReason))
    )
    func theExampleRunsUnprivileged() async throws {
        let binaries = try executable(named: "brokerd").deletingLastPathComponent().path
        let script = DurableAckSyscallTests.packageRoot.appendingPathComponent("docs/examples/order-timeout.sh")
        let scratch = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let run = try await runProcess(
            Unprivileged.setpriv,
            Unprivileged.dropArguments + [
                "/usr/bin/env", "HOME=/tmp", "TMPDIR=\(scratch)", "BIN=\(binaries)", "ORDER_TIMEOUT=8s", "bash",
                script.path,
            ],
            timeoutSeconds: 180
        )
        Self.checkOutput(run)
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch)
        #expect(left.isEmpty, "the script removes its temporary directory: \(left)")
    }
}
