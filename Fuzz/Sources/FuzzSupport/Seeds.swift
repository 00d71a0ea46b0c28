import Foundation
import LogStore
import NIOCore
import RecordCodec

/// Writes a small seed corpus for a fuzzer into a directory.
///
/// A fuzzer's `LLVMFuzzerInitialize` calls ``writeIfRequested(_:)``: when the environment variable
/// `SLUICE_FUZZ_WRITE_SEEDS` names a directory, the seeds are written there and the process exits.
/// `scripts/fuzz.sh` refreshes `Fuzz/Corpus/<Target>/` this way.
public enum Seeds {
    /// The seeds of `FuzzRecordBatch`: single valid batches.
    public static func recordBatch() -> [String: [UInt8]] {
        var seeds: [String: [UInt8]] = [:]
        for index in 0..<3 {
            let records = LogRecoveryHarness.sampleRecords(index)
            seeds["batch-\(index)"] = Array(
                RecordBatch(records: records, baseOffset: Int64(index)).buffer.readableBytesView
            )
        }
        return seeds
    }

    /// The seeds of `FuzzLogRecovery`: a valid log in each mode, and a splice of a few bytes.
    public static func logRecovery() -> [String: [UInt8]] {
        let log = LogRecoveryHarness.validLog(batchCount: 3)
        return [
            "raw-log": [0] + log,
            "resealed-log": [1] + log,
            "splice-insert": [2, 0x02, 0x00, 0x50, 0xFF, 0xFF, 0xFF, 0xFF],
            "splice-overwrite": [2, 0x83, 0x00, 0x08, 0x00, 0x00, 0x00, 0x31],
        ]
    }

    /// Writes `seeds()` into `$SLUICE_FUZZ_WRITE_SEEDS` and exits, if that variable is set.
    public static func writeIfRequested(_ seeds: () -> [String: [UInt8]]) {
        guard let directory = ProcessInfo.processInfo.environment["SLUICE_FUZZ_WRITE_SEEDS"] else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in seeds() {
            FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes))
        }
        exit(0)
    }
}
