import ArgumentParser
import ToolSupport

/// `broker-bench`: Sluice's load generator and latency meter.
///
/// `produce`, `consume`, `group` and `schedule` measure a running broker (`schedule --mode memory`
/// starts its own); `storage` measures the storage engine alone.
@main
struct BrokerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker-bench",
        abstract: "Measure Sluice: throughput and latency of a running broker and of its storage engine alone.",
        discussion: """
            produce, consume, group and schedule measure a running brokerd (--broker, default \
            $SLUICE_BROKER or 127.0.0.1:7420; schedule --mode memory starts its own); storage \
            measures the storage engine in a scratch directory. Every subcommand prints text, or one \
            JSON object with --json.
            """,
        version: ToolVersion.current,
        subcommands: [
            ProduceBenchmark.self, ConsumeBenchmark.self, GroupBenchmark.self, GroupHoldProbe.self,
            GroupWaitProbe.self, ScheduleBenchmark.self, StorageBenchmark.self, StorageWriter.self,
        ]
    )

    /// Runs with the tools' one-line errors (`broker-bench: …`) instead of usage text.
    static func main() async {
        await ToolMain.main(Self.self, program: "broker-bench")
    }
}
