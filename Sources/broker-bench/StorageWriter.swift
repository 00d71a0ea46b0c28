import ArgumentParser
import Dispatch
import LogStore
import NIOCore
import RecordCodec

#if canImport(Glibc)
import Glibc
#endif

/// `broker-bench storage-writer`: appends with the `durable` policy and prints every durable
/// acknowledgement, for crash tests that `kill -9` it and then check that nothing acknowledged
/// was lost. Not shown in `--help`.
///
/// The record at offset `o` has key `key-<o>` and value `value-<o>`, so a reader can check every
/// record without knowing how the run went. Each line on standard output is `durable <end>`:
/// every offset below `<end>` is on disk.
struct StorageWriter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-writer",
        abstract: "Append durably and print each acknowledgement (crash-test helper).",
        shouldDisplay: false
    )

    @Option(help: "The partition directory.")
    var directory: String

    @Option(help: "Records per batch.")
    var recordsPerBatch: Int = 10

    @Option(help: "Stop after this many batches.")
    var batches: Int = 1_000_000

    @Option(help: "Segment size in bytes (small, to roll often).")
    var segmentBytes: Int = 256 << 10

    @Option(help: "Batches appended but not yet acknowledged.")
    var window: Int = 8

    func run() throws {
        // A file-size limit (`ulimit -f`, the crash tests' stand-in for a full disk) must fail the
        // write with EFBIG rather than kill the process.
        signal(SIGXFSZ, SIG_IGN)
        let scheduler = FlushScheduler()
        var configuration = LogConfiguration()
        configuration.segmentBytes = segmentBytes
        configuration.flushPolicy = .durable
        let log = try PartitionLog.open(directory: directory, configuration: configuration, scheduler: scheduler)
        let permits = DispatchSemaphore(value: window)
        for _ in 0..<batches {
            permits.wait()
            let start = log.logEndOffset
            let records = (0..<Int64(recordsPerBatch)).map { index in
                Record(
                    key: ByteBuffer(string: "key-\(start + index)"),
                    value: ByteBuffer(string: "value-\(start + index)"),
                    timestamp: currentTimeMilliseconds()
                )
            }
            let result: PartitionLog.AppendResult
            do {
                result = try log.append(RecordBatch(records: records))
            } catch {
                let line = "storage-writer: append failed: \(error)\n"
                _ = write(2, line, line.utf8.count)
                // Let every acknowledgement in flight arrive (libdispatch traps if a semaphore
                // is released below its initial value).
                permits.signal()
                for _ in 0..<window { permits.wait() }
                for _ in 0..<window { permits.signal() }
                scheduler.shutdown()
                throw ExitCode(1)
            }
            log.whenDurable(result.lastOffset) { outcome in
                if case .success(let end) = outcome {
                    let line = "durable \(end)\n"
                    _ = write(1, line, line.utf8.count)
                }
                permits.signal()
            }
        }
        try log.close()
        scheduler.shutdown()
    }
}
