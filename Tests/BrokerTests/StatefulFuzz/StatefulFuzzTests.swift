import Broker
import BrokerProtocol
import Foundation
import Testing

/// The run's seeds and length, from the environment (scripts/stateful-fuzz.sh sets them):
/// `SLUICE_STATEFUZZ_SEED` (one seed, to replay a finding), `SLUICE_STATEFUZZ_SEEDS` (how many
/// seeds from it, default 1), `SLUICE_STATEFUZZ_STEPS` (steps per seed, default 120).
enum StatefulFuzzSettings {
    static let environment = ProcessInfo.processInfo.environment

    static var seeds: [UInt64] {
        let first = environment["SLUICE_STATEFUZZ_SEED"].flatMap(UInt64.init) ?? 1
        let count = environment["SLUICE_STATEFUZZ_SEEDS"].flatMap(Int.init) ?? 1
        return (0..<UInt64(max(count, 1))).map { first &+ $0 }
    }

    static var steps: Int { environment["SLUICE_STATEFUZZ_STEPS"].flatMap(Int.init) ?? 120 }

    /// Whether the process-wide memory and descriptor bounds are checked: they measure the whole
    /// test process, so only a run with nothing beside it can hold them (`scripts/stateful-fuzz.sh`
    /// sets `SLUICE_STATEFUZZ_RESOURCES=1`); in the parallel suite other tests' brokers and children
    /// would trip them.
    static var checksResources: Bool { environment["SLUICE_STATEFUZZ_RESOURCES"] == "1" }

    static var restarts: Int { max(0, environment["SLUICE_STATEFUZZ_RESTARTS"].flatMap(Int.init) ?? 1) }
}

/// The stateful fuzzer (docs/FUZZING.md, "Stateful fuzzing"): valid requests with hurtful values
/// against an embedded broker, its invariants checked after every step.
@Suite(.serialized) struct StatefulFuzzTests {
    @Test func nativeProtocolHoldsItsInvariants() async throws {
        for seed in StatefulFuzzSettings.seeds {
            try await Self.runNative(seed: seed, steps: StatefulFuzzSettings.steps)
        }
    }

    @Test func bothProtocolsHoldTheirInvariants() async throws {
        for seed in StatefulFuzzSettings.seeds {
            try await Self.runNative(seed: seed, steps: StatefulFuzzSettings.steps, kafka: true)
        }
    }

    /// Runs one seed, stopping and restarting the broker on its data directory `restarts` times
    /// along the way (SLUICE_STATEFUZZ_RESTARTS, default 1); a finding fails the test with the
    /// seed, how to replay it and the last steps.
    static func runNative(seed: UInt64, steps: Int, kafka: Bool = false) async throws {
        let started = Date()
        let directory = NSTemporaryDirectory() + "sluice-statefuzz-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        configuration.autoCreateTopics = seed % 2 == 0
        configuration.flushIntervalMilliseconds = 50
        if kafka { configuration.kafkaListener = KafkaListenerConfiguration(host: "127.0.0.1", port: 0) }
        let driver = NativeFuzzDriver(seed: seed)
        let segments = StatefulFuzzSettings.restarts + 1
        let name = kafka ? "native+kafka" : "native"
        do {
            for segment in 0..<segments {
                let count = steps / segments + (segment < steps % segments ? 1 : 0)
                try await BrokerServer.withServer(configuration: configuration) { server in
                    try await driver.attach(port: try #require(server.localPort), kafkaPort: server.kafkaLocalPort)
                    if segment > 0 {
                        driver.note("restart")
                        try await driver.checkEverything()
                    }
                    try await driver.run(steps: count)
                    try await driver.checkEverything()
                }
            }
        } catch {
            Issue.record(
                """
                stateful fuzz (\(name)) seed \(seed) failed at step \(driver.steps): \(error)
                replay: SLUICE_STATEFUZZ_SEED=\(seed) SLUICE_STATEFUZZ_STEPS=\(steps) \
                swift test --filter StatefulFuzzTests/\(kafka ? "both" : "native")
                last steps:
                \(driver.trace.joined(separator: "\n"))
                """
            )
            return
        }
        print(
            "stateful-fuzz \(name) seed \(seed): \(driver.steps) steps, \(driver.requests) requests, "
                + "\(segments - 1) restarts, \(String(format: "%.1f", Date().timeIntervalSince(started))) s, "
                + "rss \(ProcessProbe.residentKilobytes() / 1024) MiB, fds \(ProcessProbe.openDescriptors())"
        )
        if StatefulFuzzSettings.environment["SLUICE_STATEFUZZ_OUTCOMES"] != nil {
            for (outcome, count) in driver.outcomes.sorted(by: { $0.key < $1.key }) {
                print("stateful-fuzz outcome \(outcome): \(count)")
            }
        }
    }
}
