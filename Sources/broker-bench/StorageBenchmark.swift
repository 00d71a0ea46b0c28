import ArgumentParser
import Dispatch
import LogStore
import NIOCore
import RecordCodec

#if canImport(Glibc)
import Glibc
#endif

/// `broker-bench storage`: append, read and recovery throughput of `LogStore`, release build.
struct StorageBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Measure LogStore append, read and recovery throughput.",
        discussion: """
            Runs in a scratch directory (removed afterwards unless --keep). Each append run encodes \
            every batch afresh from prepared records and appends it; `durable` runs count a batch \
            only when its fdatasync completed, with at most --in-flight-bytes unflushed.
            """
    )

    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case append, read, recovery, baseline, all
    }

    @Option(help: "What to measure: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")).")
    var scenario: Scenario = .all

    @Option(help: "Scratch directory (on the disk to measure).")
    var directory: String = "./bench-data"

    @Option(help: "Record value sizes in bytes, comma separated.")
    var recordSizes: String = "100,1024"

    @Option(help: "Records per batch.")
    var recordsPerBatch: Int = 1000

    @Option(help: "Flush policies: durable, os, interval:MS; comma separated.")
    var flush: String = "durable,interval:1000,os"

    @Option(help: "Bytes to append per append run.")
    var bytes: Int = 1 << 30

    @Option(help: "Most bytes appended but not yet durable (durable policy).")
    var inFlightBytes: Int = 64 << 20

    @Option(help: "Size of the log for the recovery scenario, in MiB (1 GiB segments).")
    var recoveryMebibytes: Int = 4000

    @Flag(help: "Before each timed open, sync and drop the page cache (needs root) so recovery reads from disk.")
    var dropCaches = false

    @Flag(help: "Keep the scratch directory.")
    var keep = false

    @Flag(help: "Print one JSON object per result instead of text.")
    var json = false

    func run() throws {
        let scheduler = FlushScheduler()
        defer { scheduler.shutdown() }
        let sizes = recordSizes.split(separator: ",").compactMap { Int($0) }
        let policies = try flush.split(separator: ",").map { try parsePolicy(String($0)) }
        let scenarios: [Scenario] = scenario == .all ? [.baseline, .append, .read, .recovery] : [scenario]
        for scenario in scenarios {
            switch scenario {
            case .baseline:
                try report(measureSequentialWrite())
            case .append:
                for size in sizes {
                    for policy in policies {
                        try report(measureAppend(recordSize: size, policy: policy, scheduler: scheduler))
                    }
                }
            case .read:
                for size in sizes {
                    try report(measureRead(recordSize: size, scheduler: scheduler))
                }
            case .recovery:
                for result in try measureRecovery(scheduler: scheduler) { report(result) }
            case .all:
                break
            }
        }
        // Each scenario removed its own subdirectory; the scratch root goes only if it is empty.
        if !keep { rmdir(directory) }
    }

    // MARK: Scenarios

    /// A plain sequential write: 1 MiB `pwrite`s and one `fdatasync` at the end, as
    /// `dd bs=1M conv=fdatasync` does.
    func measureSequentialWrite() throws -> BenchResult {
        try makeDirectories(directory)
        let path = directory + "/sequential-write.bin"
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw ValidationError("cannot create \(path)") }
        defer {
            close(descriptor)
            unlink(path)
        }
        let block = [UInt8](repeating: 0x5A, count: 1 << 20)
        let clock = ContinuousClock()
        let start = clock.now
        var written = 0
        while written < bytes {
            let result = block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(written)) }
            guard result == block.count else { throw ValidationError("pwrite failed") }
            written += block.count
        }
        fdatasync(descriptor)
        let seconds = (clock.now - start).seconds
        return BenchResult(
            name: "sequential-write",
            records: 0,
            bytes: written,
            seconds: seconds,
            note: "1 MiB pwrite, fdatasync at end"
        )
    }

    func measureAppend(recordSize: Int, policy: FlushPolicy, scheduler: FlushScheduler) throws -> BenchResult {
        let path = directory + "/append-\(recordSize)-\(policy.label)"
        try? removeTree(path)
        var configuration = LogConfiguration()
        configuration.flushPolicy = policy
        configuration.maxBatchBytes = 64 << 20
        let log = try PartitionLog.open(directory: path, configuration: configuration, scheduler: scheduler)
        let records = makeRecords(count: recordsPerBatch, valueSize: recordSize)
        let batchBytes = RecordBatch(records: records).sizeInBytes
        let window = DispatchSemaphore(value: max(1, inFlightBytes / batchBytes))
        let clock = ContinuousClock()
        let start = clock.now
        var appendedBytes = 0
        var appendedRecords = 0
        var lastOffset: Int64 = -1
        while appendedBytes < bytes {
            if policy == .durable { window.wait() }
            let batch = RecordBatch(records: records)
            let result = try log.append(batch)
            if policy == .durable {
                log.whenDurable(result.lastOffset) { _ in window.signal() }
            }
            appendedBytes += batch.sizeInBytes
            appendedRecords += records.count
            lastOffset = result.lastOffset
        }
        if policy == .durable { try waitUntilDurable(log, lastOffset) }
        let seconds = (clock.now - start).seconds
        try log.close()
        if !keep { try? removeTree(path) }
        let note = policy == .durable ? "every batch fsynced (group commit)" : "page cache; not fsynced in the timing"
        return BenchResult(
            name: "append value=\(recordSize)B batch=\(recordsPerBatch) (\(batchBytes) B) flush=\(policy.label)",
            records: appendedRecords,
            bytes: appendedBytes,
            seconds: seconds,
            note: note
        )
    }

    func measureRead(recordSize: Int, scheduler: FlushScheduler) throws -> BenchResult {
        let path = directory + "/read-\(recordSize)"
        try? removeTree(path)
        var configuration = LogConfiguration()
        configuration.flushPolicy = .os
        configuration.maxBatchBytes = 64 << 20
        let log = try PartitionLog.open(directory: path, configuration: configuration, scheduler: scheduler)
        let records = makeRecords(count: recordsPerBatch, valueSize: recordSize)
        while log.sizeInBytes < Int64(bytes) { try log.append(RecordBatch(records: records)) }
        let clock = ContinuousClock()
        let start = clock.now
        var offset: Int64 = 0
        var readBytes = 0
        var readRecords = 0
        while offset < log.logEndOffset {
            let result = try log.read(from: offset, maxBytes: 1 << 20)
            for batch in result.batches { readRecords += Int(batch.recordCount) }
            readBytes += result.bytes.readableBytes
            offset = result.batches.last!.lastOffset + 1
        }
        let seconds = (clock.now - start).seconds
        try log.close()
        if !keep { try? removeTree(path) }
        return BenchResult(
            name: "read value=\(recordSize)B maxBytes=1MiB",
            records: readRecords,
            bytes: readBytes,
            seconds: seconds,
            note: "page cache warm; every batch CRC-checked"
        )
    }

    /// Writes a log of `recoveryMebibytes`, then times opening it after an unclean stop (from the
    /// recovery point, and with no checkpoint at all) and after a clean one.
    func measureRecovery(scheduler: FlushScheduler) throws -> [BenchResult] {
        let path = directory + "/recovery"
        try? removeTree(path)
        var configuration = LogConfiguration()
        configuration.flushPolicy = .os
        configuration.maxBatchBytes = 64 << 20
        let records = makeRecords(count: 1024, valueSize: 1000)
        var size: Int64 = 0
        do {
            let log = try PartitionLog.open(directory: path, configuration: configuration, scheduler: scheduler)
            while log.sizeInBytes < Int64(recoveryMebibytes) << 20 { try log.append(RecordBatch(records: records)) }
            try log.flush()
            size = log.sizeInBytes
            // Dropped without close(): no clean-shutdown marker, as after kill -9.
        }
        var results: [BenchResult] = []
        let clock = ContinuousClock()
        func timeOpen(_ name: String, _ note: String) throws {
            var note = note
            if dropCaches {
                note += dropPageCache() ? ", page cache dropped" : ", page cache NOT dropped (not permitted)"
            }
            let start = clock.now
            let log = try PartitionLog.open(directory: path, configuration: configuration, scheduler: scheduler)
            let seconds = (clock.now - start).seconds
            let validated = log.recoveryReport.validatedSegments.count
            results.append(
                BenchResult(
                    name: name,
                    records: 0,
                    bytes: Int(size),
                    seconds: seconds,
                    note: "\(note); \(validated) of \(log.segmentCount) segments, "
                        + "\(formatted(Double(log.recoveryReport.validatedBytes) / 1e9, 2)) GB validated",
                    isOpen: true
                )
            )
            if name.hasPrefix("open clean") { try log.close() }
        }
        try timeOpen("open unclean, from recovery point", "last segment validated")
        try? unlinkFile(path + "/recovery-point")
        try timeOpen("open unclean, no checkpoint", "every segment validated")
        do {
            let log = try PartitionLog.open(directory: path, configuration: configuration, scheduler: scheduler)
            try log.close()
        }
        try timeOpen("open clean", "indexes loaded, tails scanned")
        if !keep { try? removeTree(path) }
        return results
    }

    // MARK: Helpers

    /// `sync; echo 3 > /proc/sys/vm/drop_caches`. Returns whether it worked.
    func dropPageCache() -> Bool {
        sync()
        let descriptor = open("/proc/sys/vm/drop_caches", O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return write(descriptor, "3\n", 2) == 2
    }

    func waitUntilDurable(_ log: PartitionLog, _ offset: Int64) throws {
        let done = DispatchSemaphore(value: 0)
        log.whenDurable(offset) { _ in done.signal() }
        done.wait()
    }

    func makeRecords(count: Int, valueSize: Int) -> [Record] {
        let timestamp = currentTimeMilliseconds()
        return (0..<count).map { index in
            var value = ByteBuffer(repeating: UInt8(truncatingIfNeeded: index), count: valueSize)
            value.setInteger(UInt32(truncatingIfNeeded: index), at: 0)
            return Record(value: value, timestamp: timestamp)
        }
    }

    func parsePolicy(_ text: String) throws -> FlushPolicy {
        switch text {
        case "durable": return .durable
        case "os": return .os
        default:
            guard text.hasPrefix("interval:"), let milliseconds = Int(text.dropFirst("interval:".count)) else {
                throw ValidationError("unknown flush policy '\(text)': use durable, os or interval:MS")
            }
            return .interval(milliseconds: milliseconds)
        }
    }

    func report(_ result: BenchResult) {
        print(json ? result.json : result.text)
    }
}

struct BenchResult {
    var name: String
    var records: Int
    var bytes: Int
    var seconds: Double
    var note: String
    /// An open of a log of `bytes` bytes: report the time, not a rate.
    var isOpen = false

    var recordsPerSecond: Double { Double(records) / seconds }
    var megabytesPerSecond: Double { Double(bytes) / seconds / 1_000_000 }

    var text: String {
        if isOpen {
            return "\(name): \(formatted(seconds, 3)) s for a \(formatted(Double(bytes) / 1e9, 2)) GB log (\(note))"
        }
        let rate = records > 0 ? "\(formatted(recordsPerSecond, 0)) records/s, " : ""
        return "\(name): \(rate)\(formatted(megabytesPerSecond, 1)) MB/s (\(formatted(seconds, 3)) s; \(note))"
    }

    var json: String {
        """
        {"name":"\(name)","records":\(records),"bytes":\(bytes),"seconds":\(formatted(seconds, 4)),\
        "messages_per_second":\(formatted(recordsPerSecond, 0)),"megabytes_per_second":\(formatted(megabytesPerSecond, 2)),\
        "note":"\(note)"}
        """
    }
}

func formatted(_ value: Double, _ decimals: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return decimals == 0 ? String(Int(rounded)) : String(rounded)
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension FlushPolicy {
    var label: String {
        switch self {
        case .durable: "durable"
        case .os: "os"
        case .interval(let milliseconds): "interval:\(milliseconds)"
        }
    }
}

func makeDirectories(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += component
        if mkdir(prefix, 0o755) != 0 && errno != EEXIST { throw ValidationError("cannot create \(prefix)") }
        prefix += "/"
    }
}

func unlinkFile(_ path: String) throws {
    if unlink(path) != 0 { throw ValidationError("cannot remove \(path)") }
}

/// Removes a directory of plain files (the scratch logs), then the directory.
func removeTree(_ path: String) throws {
    guard let directory = opendir(path) else { return }
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { unlink(path + "/" + name) }
    }
    closedir(directory)
    rmdir(path)
}
