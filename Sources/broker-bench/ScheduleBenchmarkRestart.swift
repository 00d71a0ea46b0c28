import ArgumentParser
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `broker-bench schedule --mode memory`: brokerd's memory with many pending schedules, and its
/// restart after `kill -9`, on a brokerd the benchmark starts and kills itself.
extension ScheduleBenchmark {
    func runMemory() async throws -> ScheduleBenchmarkReport {
        let executable = brokerd ?? Self.siblingBrokerd()
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("no brokerd executable at \(executable): give --brokerd")
        }
        let ownsDirectory = dataDir == nil
        let directory = dataDir ?? (NSTemporaryDirectory() + "broker-bench-schedule-\(Self.runTag)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) } }
        let address = BrokerAddress(host: "127.0.0.1", port: port)
        let start = { try BrokerdChild(executable: executable, directory: directory, port: self.port) }

        var broker = try start()
        defer { broker.kill(SIGKILL) }
        let first = try await Self.waitReady(address, topic: nil, broker: broker)
        let idle = broker.memory()
        let admin = BrokerConnection(address: address)
        try await Self.ensureTopic(topic, partitions: partitions, on: admin)
        await admin.close()
        let count = messages
        let far = currentTimeMilliseconds() + 86_400_000
        note("scheduling \(count) messages due within 30 days into brokerd pid \(broker.pid) (\(settingsText))")
        let load = try await loader(address: address).schedule(count: count, idPrefix: "mem-\(Self.runTag)-") {
            .at(epochMilliseconds: far + Self.spreadOffset($0, over: 30 * 86_400_000))
        }
        let loaded = broker.memory()
        try await Task.sleep(for: .seconds(5))
        let settled = broker.memory()
        let disk = Self.diskUsage(directory + "/data/__schedules")

        note("kill -9 brokerd pid \(broker.pid), then starting it again")
        broker.kill(SIGKILL)
        broker.wait()
        broker = try start()
        let ready = try await Self.waitReady(address, topic: topic, broker: broker)
        let afterReady = broker.memory()
        try await Task.sleep(for: .seconds(5))
        let afterRestart = broker.memory()
        // A schedule is taken after the restart too.
        let check = BrokerConnection(address: address)
        let clock = ContinuousClock()
        let before = clock.now
        let taken = try await ScheduleClient(transport: check).schedule(
            topic: topic,
            value: "after restart",
            deliver: .at(epochMilliseconds: far),
            scheduleID: "mem-\(Self.runTag)-after"
        )
        let scheduleAfterRestart = (clock.now - before).milliseconds
        await check.close()
        broker.kill(SIGTERM)
        broker.wait()

        var report = ScheduleBenchmarkReport(
            mode: "memory",
            title: "\(count) pending schedules in a brokerd started by the benchmark (\(executable)), \(settingsText)"
        )
        report.add(rate: load, name: "schedules", unit: "schedules/s")
        report.figure("first_start_ready_ms", first.listed, decimals: 1, label: "empty broker: ready after", unit: "ms")
        report.figure("rss_idle_mb", idle.rss, decimals: 1, label: "RSS before scheduling", unit: "MB")
        report.figure("rss_loaded_mb", loaded.rss, decimals: 1, label: "RSS once scheduled", unit: "MB")
        report.figure("rss_settled_mb", settled.rss, decimals: 1, label: "RSS 5 s later", unit: "MB")
        report.figure("rss_peak_mb", settled.peak, decimals: 1, label: "peak RSS (VmHWM) before the kill", unit: "MB")
        report.figure(
            "rss_bytes_per_pending",
            (settled.rss - idle.rss) * 1_000_000 / Double(count),
            decimals: 1,
            label: "RSS per pending schedule (settled - idle)",
            unit: "bytes"
        )
        report.figure("schedules_disk_mb", disk, decimals: 1, label: "__schedules on disk", unit: "MB")
        report.figure(
            "restart_connected_ms",
            ready.connected,
            decimals: 1,
            label: "after kill -9: handshake answered after",
            unit: "ms"
        )
        report.figure(
            "restart_ready_ms",
            ready.listed,
            decimals: 1,
            label: "after kill -9: listSchedules answered after",
            unit: "ms"
        )
        report.integer("restart_pending", ready.pending, label: "pending reported after the restart")
        report.figure("rss_after_restart_mb", afterReady.rss, decimals: 1, label: "RSS when ready", unit: "MB")
        report.figure(
            "rss_after_restart_5s_mb",
            afterRestart.rss,
            decimals: 1,
            label: "RSS 5 s after ready",
            unit: "MB"
        )
        report.figure(
            "rss_after_restart_peak_mb",
            afterRestart.peak,
            decimals: 1,
            label: "peak RSS after the restart",
            unit: "MB"
        )
        report.figure(
            "schedule_after_restart_ms",
            scheduleAfterRestart,
            decimals: 1,
            label: "one schedule after the restart took",
            unit: "ms"
        )
        report.check(
            "every schedule taken and still pending after the restart",
            load.failures == 0 && ready.pending >= count && taken.scheduleID.hasSuffix("after"),
            detail: "\(load.failures) schedule errors, \(ready.pending) of \(count) pending after the restart"
                + load.firstError.map { " (first: \($0))" }.orEmpty
        )
        return report
    }

    /// The brokerd next to this executable.
    static func siblingBrokerd() -> String {
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent("brokerd").path
    }

    /// Milliseconds from the broker's start until it answered a handshake and, then, a
    /// listSchedules of `topic` (with its pending count).
    static func waitReady(
        _ address: BrokerAddress,
        topic: String?,
        broker: BrokerdChild
    ) async throws -> (connected: Double, listed: Double, pending: Int) {
        var configuration = ConnectionConfiguration()
        configuration.connectAttempts = 1
        configuration.connectTimeout = .seconds(30)
        configuration.requestTimeout = .seconds(60)
        let limit = ContinuousClock.now + .seconds(120)
        while true {
            let connection = BrokerConnection(address: address, configuration: configuration)
            do {
                try await connection.connect()
                let connected = broker.elapsedMilliseconds()
                var pending = 0
                if let topic {
                    pending = Int(
                        try await ScheduleClient(transport: connection).listPage(topic: topic, limit: 1).pending
                    )
                }
                let listed = broker.elapsedMilliseconds()
                await connection.close()
                return (connected, listed, pending)
            } catch {
                await connection.close()
                guard broker.isRunning else {
                    throw ValidationError("brokerd exited before it answered (see \(broker.logPath)): \(error)")
                }
                guard ContinuousClock.now < limit else {
                    throw ValidationError("brokerd did not answer within 120 s (see \(broker.logPath)): \(error)")
                }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
    }

    /// The size of the files under `path`, in MB.
    static func diskUsage(_ path: String) -> Double {
        guard let files = FileManager.default.enumerator(atPath: path) else { return 0 }
        var bytes = 0
        while let name = files.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name)
            if attributes?[.type] as? FileAttributeType == .typeRegular {
                bytes += (attributes?[.size] as? Int) ?? 0
            }
        }
        return Double(bytes) / 1_000_000
    }
}

/// A brokerd child process on a data directory, logging to `<directory>/brokerd.log`.
final class BrokerdChild {
    let process = Process()
    let started = ContinuousClock.now
    let logPath: String

    init(executable: String, directory: String, port: Int) throws {
        logPath = directory + "/brokerd.log"
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--data-dir", directory + "/data", "--listen", "127.0.0.1:\(port)",
            // Metrics on a port of the system's choosing: a fixed PORT+1 may be taken.
            "--metrics-listen", "127.0.0.1:0", "--log-level", "warning",
        ]
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func elapsedMilliseconds() -> Double { (ContinuousClock.now - started).milliseconds }

    func kill(_ signal: Int32) {
        if process.isRunning { _ = Glibc.kill(pid, signal) }
    }

    func wait() { process.waitUntilExit() }

    /// VmRSS and VmHWM from /proc/PID/status, in MB (10^6 bytes); 0 when unreadable.
    func memory() -> (rss: Double, peak: Double) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            let kilobytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first
            return (kilobytes.flatMap { Double($0) } ?? 0) * 1024 / 1_000_000
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}
