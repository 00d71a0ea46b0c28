import ArgumentParser

/// `broker-bench`: Sluice's load generator and latency meter.
///
/// `produce` and `consume` measure a running broker; `storage` measures the storage engine alone.
/// The brief's `end-to-end`, `group` and `schedule` workloads arrive with their features.
@main
struct BrokerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker-bench",
        abstract: "Measure Sluice: throughput and latency of its storage engine and, later, its broker.",
        subcommands: [ProduceBenchmark.self, ConsumeBenchmark.self, StorageBenchmark.self, StorageWriter.self]
    )
}
