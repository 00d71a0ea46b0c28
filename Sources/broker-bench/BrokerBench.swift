import ArgumentParser

/// `broker-bench`: Sluice's load generator and latency meter.
///
/// Today it measures the storage engine (`broker-bench storage`); the network workloads of the brief
/// (`produce`, `consume`, `end-to-end`, `group`, `schedule`) arrive with the broker.
@main
struct BrokerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker-bench",
        abstract: "Measure Sluice: throughput and latency of its storage engine and, later, its broker.",
        subcommands: [StorageBenchmark.self, StorageWriter.self]
    )
}
