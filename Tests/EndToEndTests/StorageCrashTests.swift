import Foundation
import LogStore
import NIOCore
import ProcessTesting
import Testing

/// Crash tests that really `kill -9` a process appending with the `durable` policy, then check
/// that every acknowledged record is there, exactly once, and that the log takes new appends.
@Suite("Storage crash (kill -9)")
struct StorageCrashTests {
    @Test("acknowledged durable appends survive kill -9, over several crashes", arguments: [1, 2, 3])
    func acknowledgedAppendsSurvive(seed: UInt64) async throws {
        let directory = try TemporaryDirectory()
        var generator = SeededGenerator(seed: seed)
        var acknowledgedEnd: Int64 = 0
        for _ in 0..<3 {
            let writer = try await StorageWriterProcess(directory: directory.path)
            // Let it acknowledge a random amount, then kill it mid-stream.
            let target = acknowledgedEnd + Int64.random(in: 200...3000, using: &generator)
            let seen = try writer.waitForAcknowledgement(atLeast: target, timeoutSeconds: 60)
            await writer.kill9()
            let end = max(seen, try await writer.remainingAcknowledgements())
            #expect(end >= target)
            acknowledgedEnd = max(acknowledgedEnd, end)

            let scheduler = FlushScheduler()
            defer { scheduler.shutdown() }
            var configuration = LogConfiguration()
            configuration.segmentBytes = 256 << 10
            let log = try PartitionLog.open(
                directory: directory.path,
                configuration: configuration,
                scheduler: scheduler
            )
            #expect(!log.recoveryReport.wasCleanShutdown)
            #expect(
                log.logEndOffset >= acknowledgedEnd,
                "acknowledged up to \(acknowledgedEnd), log ends at \(log.logEndOffset)"
            )
            try expectRecordsMatchOffsets(log)
            acknowledgedEnd = log.logEndOffset
            // Dropped without close: the next writer starts from another unclean stop.
        }
    }

    /// Every record from the start to the end has key `key-<offset>` and value `value-<offset>`.
    private func expectRecordsMatchOffsets(_ log: PartitionLog) throws {
        var offset = log.logStartOffset
        while offset < log.logEndOffset {
            let result = try log.read(from: offset, maxBytes: 1 << 20)
            let batch = try #require(result.batches.first)
            for batch in result.batches {
                for record in try batch.records() where record.offset >= offset {
                    #expect(record.offset == offset)
                    #expect(record.key.map { String(buffer: $0) } == "key-\(offset)")
                    #expect(record.value.map { String(buffer: $0) } == "value-\(offset)")
                    offset += 1
                }
            }
            _ = batch
        }
        #expect(offset == log.logEndOffset)
    }
}

/// `broker-bench storage-writer` running as a child process.
final class StorageWriterProcess {
    let process = ChildProcess()
    let output = Pipe()
    private var pending = Data()
    private var highest: Int64 = 0

    init(directory: String) async throws {
        process.executableURL = try executable(named: "broker-bench")
        process.arguments = ["storage-writer", "--directory", directory, "--batches", "200000"]
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
    }

    deinit {
        process.signal(SIGKILL)
    }

    /// Reads `durable N` lines until one reaches `target`; returns the highest seen.
    func waitForAcknowledgement(atLeast target: Int64, timeoutSeconds: Double) throws -> Int64 {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while highest < target {
            guard Date() < deadline else {
                throw CrashTestError("no acknowledgement of \(target) within \(timeoutSeconds) s")
            }
            let data = output.fileHandleForReading.availableData
            guard !data.isEmpty else {
                throw CrashTestError("writer exited early with status \(process.terminationStatus)")
            }
            consume(data)
        }
        return highest
    }

    func kill9() async {
        process.signal(SIGKILL)
        await process.waitForExit()
    }

    /// Everything the writer printed before it died.
    func remainingAcknowledgements() async throws -> Int64 {
        consume(await output.fileHandleForReading.readToEndOfFile())
        return highest
    }

    private func consume(_ data: Data) {
        pending.append(data)
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
            pending.removeSubrange(pending.startIndex...newline)
            if line.hasPrefix("durable "), let end = Int64(line.dropFirst("durable ".count)) {
                highest = max(highest, end)
            }
        }
    }
}

/// The path of a product built beside the test bundle.
func executable(named name: String) throws -> URL {
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // On Linux the test runner may live inside `<Package>PackageTests.xctest`; products sit beside it.
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw CrashTestError("\(name) is not built beside \(testBinary.path): run `swift build` first")
}

struct CrashTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A scratch directory removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "sluice-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// SplitMix64: a small seeded generator, so a failing case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

@Suite("Storage with a full disk")
struct StorageFullDiskTests {
    /// `ulimit -f` stands in for a full disk: a write past the limit fails with EFBIG. The append
    /// must fail with a clear error, and the log must stay readable and consistent.
    @Test("an append that cannot be written fails cleanly and the log stays consistent")
    func fullDiskFailsCleanly() async throws {
        let directory = try TemporaryDirectory()
        let bench = try executable(named: "broker-bench")
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // RLIMIT_FSIZE limits each file, so the segment must be allowed to grow past it: the write
        // that would take the first segment past ~300-600 KiB (dash counts 512-byte blocks) fails.
        process.arguments = [
            "-c",
            "ulimit -f 600 && exec \"$0\" storage-writer --directory \"$1\" --segment-bytes 1048576 --batches 100000",
            bench.path, directory.path,
        ]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: await errors.fileHandleForReading.readToEndOfFile(), as: UTF8.self)
        await process.waitForExit()
        #expect(process.terminationStatus == 1)
        #expect(message.contains("append failed: ioFailure"), "stderr: \(message)")
        #expect(message.contains("File too large"), "stderr: \(message)")

        let scheduler = FlushScheduler()
        defer { scheduler.shutdown() }
        var configuration = LogConfiguration()
        configuration.segmentBytes = 1 << 20
        let log = try PartitionLog.open(directory: directory.path, configuration: configuration, scheduler: scheduler)
        #expect(log.recoveryReport.damage == nil, "a failed write must not leave a torn batch behind")
        #expect(log.logEndOffset > 0)
        var offset: Int64 = 0
        while offset < log.logEndOffset {
            let result = try log.read(from: offset, maxBytes: 1 << 20)
            for batch in result.batches {
                for record in try batch.records() {
                    #expect(record.value.map { String(buffer: $0) } == "value-\(record.offset)")
                }
                offset = batch.lastOffset + 1
            }
        }
        #expect(offset == log.logEndOffset)
    }
}
