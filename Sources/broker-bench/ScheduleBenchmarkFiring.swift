import ArgumentParser
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOConcurrencyHelpers
import NIOCore
import RecordCodec
import ToolSupport

/// `broker-bench schedule --mode lateness` and `--mode burst`: schedules that fire.
extension ScheduleBenchmark {
    /// The wall clock in milliseconds, with the fraction (the broker fires on the same machine's clock).
    static func wallMilliseconds() -> Double { Date().timeIntervalSince1970 * 1000 }

    // MARK: lateness

    func runLateness(address: BrokerAddress) async throws -> ScheduleBenchmarkReport {
        let admin = BrokerConnection(address: address)
        defer { Task { await admin.close() } }
        try await Self.ensureTopic(topic, partitions: partitions, on: admin)
        let schedules = ScheduleClient(transport: admin)
        let existing = Int(try await schedules.listPage(topic: topic, limit: 1).pending)
        let far = currentTimeMilliseconds() + 30 * 86_400_000
        var preload: ScheduleBenchmarkLoader.Outcome?
        if existing < pending {
            note("loading \(pending - existing) schedules due within 30 days (the topic holds \(existing))")
            preload = try await loader(address: address).schedule(
                count: pending - existing,
                idPrefix: "far-\(Self.runTag)-"
            ) { .at(epochMilliseconds: far + Self.spreadOffset($0, over: 30 * 86_400_000)) }
        }
        let held = Int(try await schedules.listPage(topic: topic, limit: 1).pending)

        let count = messages
        let spreadMilliseconds = Double(DurationSyntax.parse(spread)!.milliseconds)
        let prefix = "late-\(Self.runTag)-"
        // The consumer starts at the end before anything measured can fire.
        let consumerConnection = BrokerConnection(address: address)
        var configuration = ConsumerConfiguration()
        configuration.maxWait = DurationSyntax.parse(fetchWait)!
        let consumer = Consumer(
            transport: consumerConnection,
            topic: topic,
            from: .latest,
            configuration: configuration
        )
        _ = try await consumer.poll()
        let first = currentTimeMilliseconds() + 2000
        let limit = Self.wallMilliseconds() + 2000 + spreadMilliseconds + 30_000
        let reading = Task { () throws -> [Double] in
            var lateness: [Double] = []
            lateness.reserveCapacity(count)
            while lateness.count < count, Self.wallMilliseconds() < limit {
                let records = try await consumer.poll()
                let arrived = Self.wallMilliseconds()
                for record in records {
                    guard record.headerString("sluice.schedule.id")?.hasPrefix(prefix) == true,
                        let due = record.headerString("sluice.schedule.due").flatMap({ Int64($0) })
                    else { continue }
                    lateness.append(arrived - Double(due))
                }
            }
            return lateness
        }
        note("scheduling \(count) messages due over \(spread) from 2 s ahead; \(held) pending on \(topic)")
        let measured = try await loader(address: address).schedule(count: count, idPrefix: prefix) { index in
            .at(epochMilliseconds: first + Int64(Double(index) * spreadMilliseconds / Double(count)))
        }
        let lateness = try await reading.value
        await consumerConnection.close()

        var report = ScheduleBenchmarkReport(
            mode: "lateness",
            title: "\(count) messages due over \(spread) with \(held) pending, \(settingsText), "
                + "topic \(topic) (\(partitions) partitions)"
        )
        report.integer("pending", held, label: "pending schedules on the topic before the measured ones")
        if let preload { report.add(rate: preload, name: "preload", unit: "schedules/s") }
        report.add(rate: measured, name: "schedules", unit: "schedules/s")
        report.latency("lateness_ms", lateness, label: "lateness (arrival at the consumer - due)")
        report.integer("received", lateness.count, label: "measured messages received")
        report.check(
            "every measured message received once",
            lateness.count == count && measured.failures == 0,
            detail: "\(lateness.count) of \(count) received, \(measured.failures) schedule errors"
                + measured.firstError.map { " (first: \($0))" }.orEmpty
        )
        return report
    }

    // MARK: burst

    func runBurst(address: BrokerAddress) async throws -> ScheduleBenchmarkReport {
        let admin = BrokerConnection(address: address)
        defer { Task { await admin.close() } }
        let control = topic + "-control"
        try await Self.ensureTopic(topic, partitions: partitions, on: admin)
        try await Self.ensureTopic(control, partitions: 1, on: admin)
        let count = messages
        let due = currentTimeMilliseconds() + Int64(DurationSyntax.parse(lead)!.milliseconds)
        note("scheduling \(count) messages all due at \(TimeSyntax.format(epochMilliseconds: due)) (\(settingsText))")
        let load = try await loader(address: address).schedule(count: count, idPrefix: "burst-\(Self.runTag)-") { _ in
            .at(epochMilliseconds: due)
        }
        guard currentTimeMilliseconds() < due - 2000 else {
            throw ValidationError(
                "scheduling took \(formatted(load.seconds, 1)) s, too close to the due time: raise --lead (\(lead))"
            )
        }
        let base = try await Self.endOffsets(of: topic, on: admin)

        // From 2 s before the due time: one durable produce at a time to the control topic, and a
        // consumer reading it.
        try await Task.sleep(for: .milliseconds(due - 2000 - currentTimeMilliseconds()))
        let stop = NIOLockedValueBox(false)
        let producing = Task { await Self.produceOneByOne(to: control, address: address, until: stop) }
        let wait = DurationSyntax.parse(fetchWait)!
        let fetching = Task { await Self.readControl(control, address: address, wait: wait, until: stop) }

        note("waiting for the due time, then for every message to be readable")
        var firstSeen: Double?
        var lastSeen: Double?
        var readable = 0
        var watch = Watch(address: address)
        let giveUp = Double(due) + 600_000
        while Self.wallMilliseconds() < giveUp {
            let now = Self.wallMilliseconds()
            if now >= Double(due) - 5, let ends = await watch.endOffsets(of: topic) {
                readable = ends - base
                let seen = Self.wallMilliseconds()
                if readable > 0, firstSeen == nil { firstSeen = seen }
                if readable >= count {
                    lastSeen = seen
                    break
                }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        await watch.connection.close()
        try await Task.sleep(for: .seconds(1))
        stop.withLockedValue { $0 = true }
        let (produced, produceErrors) = await producing.value
        let (fetched, fetchErrors) = await fetching.value

        var report = ScheduleBenchmarkReport(
            mode: "burst",
            title: "\(count) messages due at one instant on \(partitions) partitions of \(topic), \(settingsText)"
        )
        report.add(rate: load, name: "schedules", unit: "schedules/s")
        let end = lastSeen ?? Self.wallMilliseconds()
        let drainSeconds = (end - Double(due)) / 1000
        report.figure(
            "first_readable_ms",
            (firstSeen ?? end) - Double(due),
            decimals: 1,
            label: "first readable after due",
            unit: "ms"
        )
        report.figure("drain_seconds", drainSeconds, decimals: 3, label: "all readable after due", unit: "s")
        report.figure(
            "drain_per_second",
            Double(readable) / max(drainSeconds, 0.001),
            decimals: 0,
            label: "drain rate (readable / time from due)",
            unit: "msg/s"
        )
        let window = Double(due)...end
        report.latency(
            "produce_before_ms",
            produced.filter { $0.sent < Double(due) }.map(\.latency),
            label: "control produce (acks durable) before the due time"
        )
        report.latency(
            "produce_during_ms",
            produced.filter { window.contains($0.sent) }.map(\.latency),
            label: "control produce (acks durable) during the drain"
        )
        report.latency(
            "fetch_before_ms",
            fetched.filter { $0.sent < Double(due) }.map(\.latency),
            label: "control produce-to-fetch before the due time"
        )
        report.latency(
            "fetch_during_ms",
            fetched.filter { window.contains($0.sent) }.map(\.latency),
            label: "control produce-to-fetch during the drain"
        )
        report.latency(
            "describe_during_ms",
            watch.latencies,
            label: "the watcher's describeTopic requests (5 s timeout) from the due time"
        )
        report.integer("describe_timeouts", watch.failures, label: "describeTopic requests failed or timed out")
        report.integer("control_produce_errors", produceErrors, label: "control produce requests failed (30 s timeout)")
        report.integer("control_fetch_errors", fetchErrors, label: "control fetches failed (30 s timeout)")
        report.check(
            "every scheduled message readable",
            readable >= count && load.failures == 0,
            detail: "\(readable) of \(count) readable, \(load.failures) schedule errors"
                + load.firstError.map { " (first: \($0))" }.orEmpty
        )
        return report
    }

    /// The sum of the topic's log end offsets.
    static func endOffsets(of topic: String, on connection: BrokerConnection) async throws -> Int {
        let described = try await connection.send(DescribeTopicRequest(topic: topic), as: DescribeTopicResponse.self)
        return described.partitions.reduce(0) { $0 + Int($1.logEndOffset) }
    }

    /// A sample: when it was sent (wall ms) and its latency (ms).
    struct Sample: Sendable {
        var sent: Double
        var latency: Double
    }

    /// Watches the topic's end offsets on a connection of its own with a 5 s request timeout: a
    /// request that fails is counted and sent again on a new connection.
    struct Watch {
        let address: BrokerAddress
        var connection: BrokerConnection
        var latencies: [Double] = []
        var failures = 0

        static var configuration: ConnectionConfiguration {
            var configuration = ConnectionConfiguration()
            configuration.requestTimeout = .seconds(5)
            return configuration
        }

        init(address: BrokerAddress) {
            self.address = address
            connection = BrokerConnection(address: address, configuration: Self.configuration)
        }

        /// The sum of the topic's log end offsets; `nil` when the request failed.
        mutating func endOffsets(of topic: String) async -> Int? {
            let sent = ScheduleBenchmark.wallMilliseconds()
            do {
                let ends = try await ScheduleBenchmark.endOffsets(of: topic, on: connection)
                latencies.append(ScheduleBenchmark.wallMilliseconds() - sent)
                return ends
            } catch {
                failures += 1
                latencies.append(ScheduleBenchmark.wallMilliseconds() - sent)
                FileHandle.standardError.write(Data("broker-bench: describeTopic failed: \(error)\n".utf8))
                await connection.close()
                connection = BrokerConnection(address: address, configuration: Self.configuration)
                return nil
            }
        }
    }

    /// Produces 100-byte messages with acks durable, one request at a time, until `stop`; a
    /// request that fails is counted (and its time kept as a sample) and the next one goes on a
    /// new connection.
    static func produceOneByOne(
        to topic: String,
        address: BrokerAddress,
        until stop: NIOLockedValueBox<Bool>
    ) async -> ([Sample], Int) {
        var connection = BrokerConnection(address: address)
        var samples: [Sample] = []
        var errors = 0
        while !stop.withLockedValue({ $0 }) {
            let sent = wallMilliseconds()
            let value = ByteBuffer(repeating: UInt8(ascii: "c"), count: 100)
            let batch = RecordBatch(records: [Record(key: nil, value: value, timestamp: Int64(sent))])
            do {
                let response = try await connection.send(
                    ProduceRequest(
                        acks: .durable,
                        topic: topic,
                        partitions: [.init(partition: 0, records: batch.buffer)]
                    ),
                    as: ProduceResponse.self
                )
                if let failure = response.partitions.first(where: { $0.errorCode != .none }) {
                    throw ValidationError("control produce failed: \(failure.errorMessage ?? "\(failure.errorCode)")")
                }
            } catch {
                errors += 1
                FileHandle.standardError.write(Data("broker-bench: control produce failed: \(error)\n".utf8))
                await connection.close()
                connection = BrokerConnection(address: address)
            }
            samples.append(Sample(sent: sent, latency: wallMilliseconds() - sent))
        }
        await connection.close()
        return (samples, errors)
    }

    /// Reads the control topic from its end until `stop`: per record, its arrival minus its
    /// timestamp. A fetch that fails is counted and the consumer goes on from where it was.
    static func readControl(
        _ topic: String,
        address: BrokerAddress,
        wait: Duration,
        until stop: NIOLockedValueBox<Bool>
    ) async -> ([Sample], Int) {
        let connection = BrokerConnection(address: address)
        var configuration = ConsumerConfiguration()
        configuration.maxWait = wait
        let consumer = Consumer(transport: connection, topic: topic, from: .latest, configuration: configuration)
        var samples: [Sample] = []
        var errors = 0
        while !stop.withLockedValue({ $0 }) {
            do {
                let records = try await consumer.poll()
                let arrived = wallMilliseconds()
                for record in records {
                    samples.append(Sample(sent: Double(record.timestamp), latency: arrived - Double(record.timestamp)))
                }
            } catch {
                errors += 1
                FileHandle.standardError.write(Data("broker-bench: control fetch failed: \(error)\n".utf8))
            }
        }
        await connection.close()
        return (samples, errors)
    }
}
