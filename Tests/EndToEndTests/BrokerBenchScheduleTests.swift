import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `broker-bench schedule` against a real brokerd, each mode with tiny counts: it finishes, its
/// own check passes, and the result block and the JSON line carry the figures the benchmark
/// documents. The shape of the output only, never a timing.
@Suite("broker-bench schedule", .serialized)
struct BrokerBenchScheduleTests {
    /// The last line of standard output, parsed as a JSON object.
    func result(of run: ToolRun) -> [String: Any]? {
        guard let last = run.lines.last else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
    }

    func expectLatency(_ value: Any?, _ name: String) {
        let latency = value as? [String: Any]
        #expect(Set(latency?.keys.map { $0 } ?? []) == ["count", "p50", "p99", "p999", "max"], "\(name)")
    }

    @Test("throughput: schedules and cancels every message, text block then a JSON line")
    func throughput() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        let run = try await runTool(
            "broker-bench",
            ["schedule", "--broker", broker.address, "--mode", "throughput", "--count", "700", "--batch", "64"]
        )
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.lines.first?.hasPrefix("== schedule throughput: 700 messages") == true, "\(run.standardOutput)")
        #expect(run.standardOutput.contains("check: every schedule acknowledged and then cancelled: yes"))
        let json = result(of: run)
        #expect(json?["mode"] as? String == "throughput", "\(run.standardOutput)")
        #expect((json?["schedules_per_second"] as? Int ?? 0) > 0)
        #expect((json?["cancels_per_second"] as? Int ?? 0) > 0)
        expectLatency(json?["schedules_request_latency_ms"], "schedules")
        expectLatency(json?["cancels_request_latency_ms"], "cancels")
        #expect(json?["complete"] as? Bool == true)
    }

    @Test("lateness: every measured message arrives once with its lateness; --json prints only the object")
    func lateness() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        let arguments = [
            "schedule", "--broker", broker.address, "--mode", "lateness", "--pending", "300", "--count", "60",
            "--spread", "500ms", "--partitions", "2", "--json",
        ]
        for round in 0..<2 {
            // The second run finds the far-future schedules there and loads none.
            let run = try await runTool("broker-bench", arguments)
            #expect(run.status == 0, "\(run.standardError)")
            #expect(run.lines.count == 1, "\(run.standardOutput)")
            let json = result(of: run)
            #expect(json?["pending"] as? Int == 300, "\(run.standardOutput)")
            #expect(json?["received"] as? Int == 60)
            #expect((json?["preload_per_second"] != nil) == (round == 0), "\(run.standardOutput)")
            expectLatency(json?["lateness_ms"], "lateness")
            #expect((json?["lateness_ms"] as? [String: Any])?["count"] as? Int == 60)
            #expect(json?["complete"] as? Bool == true)
        }
    }

    @Test("burst: every message becomes readable; produce and fetch latencies before and during the drain")
    func burst() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        let run = try await runTool(
            "broker-bench",
            ["schedule", "--broker", broker.address, "--mode", "burst", "--count", "800", "--lead", "4s"]
        )
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("check: every scheduled message readable: yes"), "\(run.standardOutput)")
        let json = result(of: run)
        #expect(json?["mode"] as? String == "burst")
        #expect((json?["drain_per_second"] as? Int ?? 0) > 0, "\(run.standardOutput)")
        #expect(json?["drain_seconds"] is Double || json?["drain_seconds"] is Int)
        for key in [
            "produce_before_ms", "produce_during_ms", "fetch_before_ms", "fetch_during_ms", "describe_during_ms",
        ] {
            expectLatency(json?[key], key)
        }
        for key in ["describe_timeouts", "control_produce_errors", "control_fetch_errors"] {
            #expect(json?[key] is Int, "\(key): \(run.standardOutput)")
        }
        #expect(((json?["produce_before_ms"] as? [String: Any])?["count"] as? Int ?? 0) > 0)
        #expect(json?["complete"] as? Bool == true)
    }

    @Test("memory: starts its own brokerd, kills it with SIGKILL, and finds every schedule pending after the restart")
    func memory() async throws {
        let directory = try TemporaryDirectory()
        let port = try BusyPort().port  // free again once the socket closes
        let run = try await runTool(
            "broker-bench",
            [
                "schedule", "--mode", "memory", "--count", "1500", "--port", "\(port)", "--data-dir",
                directory.path + "/memory",
            ]
        )
        #expect(run.status == 0, "\(run.standardError)")
        let json = result(of: run)
        #expect(json?["restart_pending"] as? Int == 1500, "\(run.standardOutput)")
        for key in ["rss_idle_mb", "rss_settled_mb", "rss_after_restart_mb"] {
            #expect((json?[key] as? Double ?? 0) > 0, "\(key): \(run.standardOutput)")
        }
        #expect(json?["restart_ready_ms"] != nil)
        #expect(json?["complete"] as? Bool == true)
        // The brokerd it started is gone.
        let log = try String(contentsOfFile: directory.path + "/memory/brokerd.log", encoding: .utf8)
        #expect(!log.contains("Fatal error"), "\(log)")
        #expect(throws: (any Error).self) { try BrokerConnectionProbe.connect(port: port) }
    }

    @Test("bad options are refused with the flag named")
    func refusesBadOptions() async throws {
        for (arguments, expected) in [
            (["--mode", "sideways"], "--mode"),
            (["--count", "0"], "--count"),
            (["--batch", "4097"], "--batch"),
            (["--spread", "soon"], "--spread"),
            (["--acks", "none"], "--acks"),
        ] {
            let run = try await runTool("broker-bench", ["schedule"] + arguments)
            #expect(run.status != 0)
            #expect(run.standardError.contains(expected), "\(arguments): \(run.standardError)")
        }
    }
}

/// A plain TCP connect to 127.0.0.1:port; throws when nothing listens.
enum BrokerConnectionProbe {
    static func connect(port: Int) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw CrashTestError("nothing listens on port \(port)") }
    }
}
