import ArgumentParser
import ToolSupport

/// `broker-bench`: Sluice's load generator and latency meter.
///
/// `produce`, `consume` and `group` measure a running broker; `storage` measures the storage engine
/// alone. End-to-end and delayed-delivery workloads arrive with those features.
@main
struct BrokerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker-bench",
        abstract: "Measure Sluice: throughput and latency of a running broker and of its storage engine alone.",
        discussion: """
            produce, consume and group measure a running brokerd (--broker, default $SLUICE_BROKER \
            or 127.0.0.1:7420); storage measures the storage engine in a scratch directory. Every \
            subcommand prints text, or one JSON object with --json. End-to-end and delayed-delivery \
            workloads arrive with those features.
            """,
        version: ToolVersion.current,
        subcommands: [
            ProduceBenchmark.self, ConsumeBenchmark.self, GroupBenchmark.self, GroupHoldProbe.self,
            GroupWaitProbe.self, StorageBenchmark.self, StorageWriter.self,
        ]
    )

    /// Runs with the tools' one-line errors (`broker-bench: …`) instead of usage text.
    static func main() async {
        await ToolMain.main(Self.self, program: "broker-bench")
    }
}
