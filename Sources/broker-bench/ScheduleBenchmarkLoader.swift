import BrokerClient
import BrokerProtocol
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// Schedules (and cancels) many messages of one topic through ``ScheduleClient``: requests of
/// `batch` messages, `inFlight` of them pipelined on each of `connections` connections. Message
/// `i` has the schedule id `<prefix><i>`.
struct ScheduleBenchmarkLoader: Sendable {
    var address: BrokerAddress
    var topic: String
    var connections: Int
    var inFlight: Int
    var batch: Int
    var value: ByteBuffer
    var acks: AcknowledgementLevel
    var showsProgress: Bool

    /// What a load or a cancel did: how many, how long, per-request latencies, failures.
    struct Outcome: Sendable {
        var count: Int
        var seconds: Double
        /// Per request, send to answer, in ms.
        var latencies: [Double]
        /// Entries answered with an error.
        var failures: Int
        /// Cancels answered other than `cancelled`.
        var unexpected: Int
        var firstError: String?

        var perSecond: Double { seconds > 0 ? Double(count - failures) / seconds : 0 }
    }

    /// Schedules messages `0..<count`, message `i` due at `due(i)`.
    func schedule(
        count: Int,
        idPrefix: String,
        due: @escaping @Sendable (Int) -> DeliveryTime
    ) async throws -> Outcome {
        let value = self.value
        let topic = self.topic
        let acks = self.acks
        return try await run(count: count) { client, range in
            let messages = range.map { index in
                DelayedMessage(value: value, deliver: due(index), scheduleID: "\(idPrefix)\(index)")
            }
            let results = try await client.schedule(topic: topic, messages, acks: acks)
            var tally = Tally()
            for result in results {
                if case .failure(let error) = result { tally.fail("\(error)") }
            }
            return tally
        }
    }

    /// Cancels the schedules `<prefix>0 ..< <prefix><count>`; every one should answer `cancelled`.
    func cancel(count: Int, idPrefix: String) async throws -> Outcome {
        let topic = self.topic
        return try await run(count: count) { client, range in
            let results = try await client.cancel(topic: topic, scheduleIDs: range.map { "\(idPrefix)\($0)" })
            var tally = Tally()
            for result in results {
                switch result {
                case .success(.cancelled): break
                case .success(let outcome):
                    tally.unexpected += 1
                    if tally.firstError == nil { tally.firstError = "a cancel answered \(outcome)" }
                case .failure(let error): tally.fail("\(error)")
                }
            }
            return tally
        }
    }

    /// One request's errors.
    struct Tally: Sendable {
        var failures = 0
        var unexpected = 0
        var firstError: String?

        mutating func fail(_ message: String) {
            failures += 1
            if firstError == nil { firstError = message }
        }
    }

    /// Sends the requests for `0..<count` in batches, batch `n` on connection `n % connections`.
    private func run(
        count: Int,
        request: @escaping @Sendable (ScheduleClient, Range<Int>) async throws -> Tally
    ) async throws -> Outcome {
        let batches = (count + batch - 1) / batch
        let total = NIOLockedValueBox(Outcome(count: count, seconds: 0, latencies: [], failures: 0, unexpected: 0))
        let done = NIOLockedValueBox(0)
        let progress = ProgressPrinter(total: count, enabled: showsProgress)
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<min(connections, batches) {
                group.addTask {
                    let connection = BrokerConnection(address: address)
                    try await connection.connect()
                    let client = ScheduleClient(transport: connection)
                    do {
                        try await withThrowingTaskGroup(of: Void.self) { window in
                            var inFlight = 0
                            for batchNumber in stride(from: number, to: batches, by: connections) {
                                if inFlight >= self.inFlight {
                                    try await window.next()
                                    inFlight -= 1
                                }
                                let range = batchNumber * batch..<min(count, (batchNumber + 1) * batch)
                                inFlight += 1
                                window.addTask {
                                    let sent = clock.now
                                    let tally = try await request(client, range)
                                    let latency = (clock.now - sent).milliseconds
                                    total.withLockedValue { total in
                                        total.latencies.append(latency)
                                        total.failures += tally.failures
                                        total.unexpected += tally.unexpected
                                        if total.firstError == nil { total.firstError = tally.firstError }
                                    }
                                    progress.add(
                                        done.withLockedValue {
                                            $0 += range.count; return $0
                                        }
                                    )
                                }
                            }
                            try await window.waitForAll()
                        }
                    } catch {
                        await connection.close()
                        throw error
                    }
                    await connection.close()
                }
            }
            try await group.waitForAll()
        }
        var outcome = total.withLockedValue { $0 }
        outcome.seconds = (clock.now - start).seconds
        return outcome
    }
}

/// A mode's result: a text block and one JSON object with the same figures.
struct ScheduleBenchmarkReport {
    var mode: String
    var title: String
    private(set) var lines: [String] = []
    private(set) var fields: [(String, String)] = []

    init(mode: String, title: String) {
        self.mode = mode
        self.title = title
        fields.append(("mode", "\"\(mode)\""))
    }

    /// A line of the text block only.
    mutating func line(_ text: String) { lines.append(text) }

    /// A figure: a line `label: value unit` and the JSON field `key`.
    mutating func figure(_ key: String, _ value: Double, decimals: Int, label: String, unit: String = "") {
        lines.append("\(label): \(formatted(value, decimals))\(unit.isEmpty ? "" : " " + unit)")
        fields.append((key, formatted(value, decimals)))
    }

    /// A whole number: a line and a JSON field.
    mutating func integer(_ key: String, _ value: Int, label: String) {
        lines.append("\(label): \(value)")
        fields.append((key, "\(value)"))
    }

    /// A load's rate and its per-request latency.
    mutating func add(rate outcome: ScheduleBenchmarkLoader.Outcome, name: String, unit: String) {
        let latency = LatencySummary(outcome.latencies)
        lines.append(
            "\(name): \(formatted(outcome.perSecond, 0)) \(unit) (\(outcome.count) in \(formatted(outcome.seconds, 3)) s); "
                + "per request ms: \(latency.text)"
        )
        fields.append(("\(name)_per_second", formatted(outcome.perSecond, 0)))
        fields.append(("\(name)_seconds", formatted(outcome.seconds, 3)))
        fields.append(("\(name)_request_latency_ms", latency.json))
    }

    /// A latency distribution: a line and a JSON object.
    mutating func latency(_ key: String, _ samples: [Double], label: String) {
        let summary = LatencySummary(samples)
        lines.append("\(label) ms (\(samples.count) samples): \(summary.text)")
        fields.append((key, summary.json))
    }

    /// A pass/fail check of the run's own work (not of a target).
    mutating func check(_ what: String, _ passed: Bool, detail: String) {
        lines.append("check: \(what): " + (passed ? "yes" : "NO: \(detail)"))
        fields.append(("complete", passed ? "true" : "false"))
    }

    var text: String { (["== schedule \(mode): \(title)"] + lines.map { "  " + $0 }).joined(separator: "\n") }

    var json: String {
        "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

/// p50, p99, p99.9 and max of latency samples (ms).
struct LatencySummary {
    var count: Int
    var p50 = 0.0
    var p99 = 0.0
    var p999 = 0.0
    var max = 0.0

    init(_ samples: [Double]) {
        count = samples.count
        guard !samples.isEmpty else { return }
        let sorted = samples.sorted()
        func at(_ fraction: Double) -> Double {
            sorted[min(sorted.count - 1, Swift.max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
        }
        p50 = at(0.5)
        p99 = at(0.99)
        p999 = at(0.999)
        max = sorted.last!
    }

    var text: String {
        "p50 \(formatted(p50, 3)) p99 \(formatted(p99, 3)) p999 \(formatted(p999, 3)) max \(formatted(max, 3))"
    }

    var json: String {
        "{\"count\":\(count),\"p50\":\(formatted(p50, 3)),\"p99\":\(formatted(p99, 3)),"
            + "\"p999\":\(formatted(p999, 3)),\"max\":\(formatted(max, 3))}"
    }
}
