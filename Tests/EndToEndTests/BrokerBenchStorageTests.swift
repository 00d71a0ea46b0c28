import Foundation
import Testing

/// `broker-bench storage` (the storage engine's benchmark) on a tiny budget: every scenario runs,
/// prints one JSON line each, reads back what it appended, and removes its scratch directory.
@Suite("broker-bench storage")
struct BrokerBenchStorageTests {
    @Test("append (os, durable), read and the three opens on 200 KB: one JSON line each, reads what was appended")
    func tinyRun() async throws {
        let directory = try TemporaryDirectory()
        let scratch = directory.path + "/bench"
        let run = try await runTool(
            "broker-bench",
            [
                "storage", "--directory", scratch, "--record-sizes", "100", "--records-per-batch", "10",
                "--flush", "os,durable", "--bytes", "200000", "--recovery-mebibytes", "1", "--json",
            ]
        )
        #expect(run.status == 0, "\(run.standardError)")
        let results = try run.standardOutput.split(separator: "\n").map { line in
            try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                "not a JSON object: \(line)"
            )
        }
        let names = results.compactMap { $0["name"] as? String }
        #expect(names.count == 7, "\(names)")
        for expected in [
            "sequential-write", "append value=100B batch=10 (1151 B) flush=os",
            "append value=100B batch=10 (1151 B) flush=durable", "read value=100B maxBytes=1MiB",
            "open unclean, from recovery point", "open unclean, no checkpoint", "open clean",
        ] {
            #expect(names.contains(expected), "no \(expected) in \(names)")
        }
        func records(_ prefix: String) -> [Int] {
            results.filter { ($0["name"] as? String)?.hasPrefix(prefix) == true }.compactMap { $0["records"] as? Int }
        }
        // 200,000 bytes in batches of 1,151: 174 batches of 10 records, in each append run; the read
        // scenario reads them all back.
        #expect(records("append") == [1740, 1740])
        #expect(records("read") == [1740])
        for result in results {
            #expect((result["seconds"] as? Double).map { $0 > 0 } == true, "\(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch), "the scratch directory was left behind")
    }
}
