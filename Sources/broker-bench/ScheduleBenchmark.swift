import ArgumentParser
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import ToolSupport

/// `broker-bench schedule`: delayed delivery, in one of four modes (docs/BENCHMARKS.md, "Delayed
/// delivery"): `throughput` (schedule then cancel), `lateness` (fire time against due time with
/// many pending), `burst` (many due at one instant, with produce running beside) and `memory`
/// (RSS with many pending, and the restart after `kill -9`, on a brokerd the benchmark starts).
struct ScheduleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Measure delayed delivery: scheduling, lateness, a burst of due messages, memory and restart.",
        discussion: """
            Every mode schedules --message-size-byte values with distinct schedule ids through \
            ScheduleClient, --batch messages per request, --in-flight requests pipelined on each of \
            --connections connections, with --acks (durable by default). Each mode prints a result \
            block and, as its last line, one JSON object (only that with --json).

            throughput: schedules --count (default 1,000,000) messages due in 30 days (spread over \
            30 days), then cancels them all: schedules/s and cancels/s, and each request's latency.

            lateness: first tops the topic up to --pending (default 1,000,000) schedules due in 30 \
            days (not timed; a second run on the same broker reuses them), then schedules --count \
            (default 20,000) messages due over the next --spread (default 10s), from 2 s ahead, and \
            reads the topic with a Consumer: per message, arrival time minus its \
            sluice.schedule.due header (the broker's and the benchmark's clocks are the same \
            machine's) -> p50/p99/max lateness in ms.

            burst: schedules --count (default 1,000,000) messages all due at the same instant T, \
            --lead (default 60s) after the loading starts, on a topic of --partitions (default 8) \
            partitions; from T it polls the topic's end offsets every 5 ms until all are readable \
            (drain rate), while another connection produces 100-byte messages with acks durable to \
            <topic>-control, one at a time, and a Consumer reads them: produce latency and \
            produce-to-fetch latency before T and during the drain.

            memory: starts its own brokerd (--brokerd, default the brokerd next to broker-bench) \
            on --data-dir (default a new temporary directory) and 127.0.0.1:--port, schedules \
            --count (default 10,000,000) messages due within 30 days, reads brokerd's VmRSS, kills \
            it with SIGKILL, starts it again and measures the time from the start until it answers \
            a listSchedules request (ready), with the pending count it reports, then VmRSS again.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "throughput, lateness, burst or memory.")
    var mode: String = "throughput"

    @Option(help: "The topic; created if missing (burst also uses <topic>-control).")
    var topic: String = "schedule-bench"

    @Option(help: "Partitions of the topic when it is created.")
    var partitions: Int32 = 8

    @Option(help: "Messages to schedule (default per mode: see above).")
    var count: Int?

    @Option(help: "lateness: far-future schedules the topic holds before the measured ones.")
    var pending: Int = 1_000_000

    @Option(help: "lateness: the measured messages are due over this long (e.g. 10s).")
    var spread: String = "10s"

    @Option(help: "lateness and burst: the consumers' fetch wait (long polling), e.g. 200ms.")
    var fetchWait: String = "200ms"

    @Option(help: "burst: the due instant is this long after the loading starts (e.g. 60s).")
    var lead: String = "60s"

    @Option(help: "Bytes per message value.")
    var messageSize: Int = 100

    @Option(help: "Connections that schedule.")
    var connections: Int = 4

    @Option(help: "Schedule requests in flight per connection.")
    var inFlight: Int = 8

    @Option(help: "Messages per schedule (or cancel) request, at most 4096.")
    var batch: Int = 256

    @Option(help: "Acknowledgement level of the schedules: written or durable.")
    var acks: String = "durable"

    @Option(help: "memory: the brokerd executable (default: the one next to broker-bench).")
    var brokerd: String?

    @Option(help: "memory: brokerd's data directory (default: a new temporary directory, deleted at the end).")
    var dataDir: String?

    @Option(help: "memory: the port brokerd listens on (its metrics on the next one).")
    var port: Int = 17640

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    static let modes = ["throughput", "lateness", "burst", "memory"]
    /// The most entries of one request the broker takes by default (its `maxEntriesPerRequest`).
    static let maxBatch = 4096

    func validate() throws {
        guard Self.modes.contains(mode) else {
            throw ValidationError("--mode must be throughput, lateness, burst or memory, got \(mode)")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard pending >= 0 else { throw ValidationError("--pending must not be negative") }
        guard let spread = DurationSyntax.parse(spread), spread > .zero else {
            throw ValidationError("--spread must be \(DurationSyntax.expected), got '\(spread)'")
        }
        guard let wait = DurationSyntax.parse(fetchWait), wait >= .zero else {
            throw ValidationError("--fetch-wait must be \(DurationSyntax.expected), got '\(fetchWait)'")
        }
        guard DurationSyntax.parse(lead) != nil else {
            throw ValidationError("--lead must be \(DurationSyntax.expected), got '\(lead)'")
        }
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        guard messageSize >= 0 else { throw ValidationError("--message-size must not be negative") }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard inFlight >= 1 else { throw ValidationError("--in-flight must be at least 1") }
        guard (1...Self.maxBatch).contains(batch) else {
            throw ValidationError("--batch must be from 1 to \(Self.maxBatch), got \(batch)")
        }
        guard acks == "written" || acks == "durable" else {
            throw ValidationError("--acks must be written or durable, got \(acks)")
        }
        guard (1...65_534).contains(port) else { throw ValidationError("--port must be from 1 to 65534") }
    }

    /// The number of messages of this mode.
    var messages: Int {
        count ?? ["throughput": 1_000_000, "lateness": 20_000, "burst": 1_000_000, "memory": 10_000_000][mode]!
    }

    /// Distinguishes this run's schedule ids from earlier runs' on the same broker.
    static let runTag = "\(Int(Date().timeIntervalSince1970))-\(ProcessInfo.processInfo.processIdentifier)"

    func loader(address: BrokerAddress, topic: String? = nil) -> ScheduleBenchmarkLoader {
        ScheduleBenchmarkLoader(
            address: address,
            topic: topic ?? self.topic,
            connections: connections,
            inFlight: inFlight,
            batch: batch,
            value: ByteBuffer(repeating: UInt8(ascii: "v"), count: messageSize),
            acks: acks == "written" ? .written : .durable,
            showsProgress: !json
        )
    }

    var settingsText: String {
        "value=\(messageSize)B batch=\(batch) connections=\(connections) in-flight=\(inFlight) acks=\(acks)"
    }

    func run() async throws {
        let report: ScheduleBenchmarkReport
        switch mode {
        case "throughput": report = try await runThroughput(address: try connection.address())
        case "lateness": report = try await runLateness(address: try connection.address())
        case "burst": report = try await runBurst(address: try connection.address())
        default: report = try await runMemory()
        }
        print(json ? report.json : report.text + "\n" + report.json)
    }

    /// Creates `topic` unless it exists.
    static func ensureTopic(_ topic: String, partitions: Int32, on connection: BrokerConnection) async throws {
        var options = try NetworkBenchmarkOptions.parse(["--topic", topic])
        options.partitions = partitions
        try await options.ensureTopic(on: connection)
    }

    // MARK: throughput

    func runThroughput(address: BrokerAddress) async throws -> ScheduleBenchmarkReport {
        let admin = BrokerConnection(address: address)
        try await Self.ensureTopic(topic, partitions: partitions, on: admin)
        await admin.close()
        let loader = loader(address: address)
        let prefix = "tp-\(Self.runTag)-"
        let base = currentTimeMilliseconds() + 30 * 86_400_000
        let count = messages
        note("scheduling \(count) messages to \(topic) (\(settingsText))")
        let scheduled = try await loader.schedule(count: count, idPrefix: prefix) { index in
            .at(epochMilliseconds: base + Self.spreadOffset(index, over: 30 * 86_400_000))
        }
        note("cancelling them")
        let cancelled = try await loader.cancel(count: count, idPrefix: prefix)
        var report = ScheduleBenchmarkReport(
            mode: "throughput",
            title: "\(count) messages due within 30 days, \(settingsText), topic \(topic)"
        )
        report.add(rate: scheduled, name: "schedules", unit: "schedules/s")
        report.add(rate: cancelled, name: "cancels", unit: "cancels/s")
        report.check(
            "every schedule acknowledged and then cancelled",
            scheduled.failures == 0 && cancelled.failures == 0 && cancelled.unexpected == 0,
            detail: "\(scheduled.failures) schedule errors, \(cancelled.failures) cancel errors, "
                + "\(cancelled.unexpected) cancels not answered `cancelled`"
                + (scheduled.firstError ?? cancelled.firstError).map { " (first: \($0))" }.orEmpty
        )
        return report
    }

    /// A pseudo-random offset in 0..<span for message `index` (due times in no particular order).
    static func spreadOffset(_ index: Int, over span: Int64) -> Int64 {
        Int64(UInt64(truncatingIfNeeded: index &* 2_654_435_761 &+ 12_345) % UInt64(span))
    }

    func note(_ text: String) {
        guard !json else { return }
        FileHandle.standardError.write(Data("broker-bench: \(text)\n".utf8))
    }
}

extension Optional where Wrapped == String {
    /// The string, or an empty one.
    var orEmpty: String { self ?? "" }
}
