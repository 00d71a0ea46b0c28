import Broker
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

    /// Runs one seed; a finding fails the test with the seed, how to replay it and the last steps.
    static func runNative(seed: UInt64, steps: Int, kafka: Bool = false) async throws {
        let started = Date()
        try await withBroker({ configuration in
            configuration.autoCreateTopics = seed % 2 == 0
            configuration.flushIntervalMilliseconds = 50
            if kafka { configuration.kafkaListener = KafkaListenerConfiguration(host: "127.0.0.1", port: 0) }
        }) { server, port in
            let driver = NativeFuzzDriver(port: port, kafkaPort: kafka ? server.kafkaLocalPort : nil, seed: seed)
            do {
                try await driver.run(steps: steps)
            } catch {
                Issue.record(
                    """
                    stateful fuzz (\(kafka ? "native+kafka" : "native")) seed \(seed) failed at step \(driver.steps): \(error)
                    replay: SLUICE_STATEFUZZ_SEED=\(seed) SLUICE_STATEFUZZ_STEPS=\(driver.steps) swift test --filter StatefulFuzzTests/\(kafka ? "both" : "native")
                    last steps:
                    \(driver.trace.joined(separator: "\n"))
                    """
                )
                return
            }
            print(
                "stateful-fuzz \(kafka ? "native+kafka" : "native") seed \(seed): \(driver.steps) steps, \(driver.requests) requests, "
                    + "\(String(format: "%.1f", Date().timeIntervalSince(started))) s, "
                    + "rss \(ProcessProbe.residentKilobytes() / 1024) MiB, fds \(ProcessProbe.openDescriptors())"
            )
        }
    }
}
