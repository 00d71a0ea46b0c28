import Foundation
import Testing

/// `brokerd --kafka-initial-rebalance-delay-ms`: Kafka's `group.initial.rebalance.delay.ms`.
@Suite("brokerd --kafka-initial-rebalance-delay-ms")
struct BrokerdKafkaGroupFlagTests {
    @Test("a delay outside 0...300,000 ms is refused with the flag named, exit 64")
    func invalidDelays() async throws {
        let directory = try TemporaryDirectory()
        for value in ["-1", "300001", "soon"] {
            let run = try await runTool(
                "brokerd",
                [
                    "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", directory.path + "/d",
                    "--kafka-listen", "127.0.0.1:0", "--kafka-initial-rebalance-delay-ms", value,
                ]
            )
            #expect(run.status == 64, "\(value): \(run.standardError)")
            #expect(run.standardError.contains("kafka-initial-rebalance-delay-ms"), "\(value): \(run.standardError)")
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/d"), "nothing created for \(value)")
        }
    }
}
