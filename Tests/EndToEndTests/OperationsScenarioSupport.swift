import BrokerClient
import Foundation
import Testing

/// A real `brokerd` (with a Kafka listener) brought into a known state for the operations
/// figures: topic `orders` holds 10 messages; group `billing` acknowledged 4 (offsets 0-3),
/// nacked offset 4 (which came back: 1 redelivery), rejected offset 5 (1 dead letter) and holds
/// 6-9 and the redelivered 4 (5 in flight); so its lag is 10 - 4 = 6. Topic `jobs` has 3
/// schedules due in `scheduleDelay`; one raw TCP connection is open to the Kafka port.
final class OperationsScenario {
    let directory: TemporaryDirectory
    let broker: BrokerdProcess
    let connection: BrokerConnection
    let consumer: GroupConsumer
    var kafkaConnection: IdleConnection?
    private var iteration: Task<Void, Never>?

    init(scheduleDelay: String) async throws {
        directory = try TemporaryDirectory()
        broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0"]
        )
        for topic in ["orders", "jobs"] {
            let created = try await runTool(
                "brokerctl",
                ["--broker", broker.address, "topics", "create", topic, "--partitions", "1"]
            )
            try #require(created.status == 0, "\(created.standardError)")
        }
        let values = (0..<10).map { "order-\($0)" }.joined(separator: "\n") + "\n"
        let produced = try await runTool("producer", ["--broker", broker.address, "--topic", "orders"], input: values)
        try #require(produced.status == 0 && produced.lines.count == 10, "\(produced.standardError)")
        try await Self.scheduleJobs(broker.address, delay: scheduleDelay)
        let port = try #require(Int(broker.address.split(separator: ":").last ?? ""))
        connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
        var configuration = GroupConsumerConfiguration()
        configuration.startAtEarliest = true
        configuration.prefetch = 20
        configuration.ordering = .unordered
        configuration.ackTimeout = .seconds(600)
        configuration.backoffInitial = .milliseconds(1)
        configuration.backoffMax = .milliseconds(1)
        consumer = GroupConsumer(
            connection: connection,
            group: "billing",
            topics: ["orders"],
            configuration: configuration
        )
        try await driveGroup()
        let kafka = try await KafkaClients.kafkaAddress(of: broker)
        kafkaConnection = try IdleConnection(port: try #require(Int(kafka.split(separator: ":").last ?? "")))
    }

    /// Receives the 10 messages and the redelivery of offset 4, answering as the type says; the
    /// iteration goes on (the member stays) until ``finish()``.
    private func driveGroup() async throws {
        let (answered, done) = AsyncStream.makeStream(of: [Int64].self)
        let messages = consumer.messages()
        iteration = Task {
            var received = 0
            var held: [Int64] = []
            do {
                for try await message in messages {
                    received += 1
                    switch (message.record.offset, message.deliveryCount) {
                    case (0...3, _): try await message.ack()
                    case (4, 1): try await message.nack(reason: "try again")
                    case (5, _): try await message.reject(reason: "bad order")
                    default: held.append(message.record.offset)
                    }
                    if received == 11 { done.yield(held.sorted()) }
                }
            } catch {}
            done.finish()
        }
        let held = try await withTimeout(seconds: 60) { await answered.first { _ in true } }
        try #require(held == [4, 6, 7, 8, 9], "held \(String(describing: held))")
    }

    /// `/metrics`, parsed.
    func scrape() async throws -> Scrape { Scrape(try await broker.get("/metrics")) }

    /// Schedules jobs `a`, `b` and `c` on `jobs` (replacing any pending ones of those ids), due in `delay`.
    static func scheduleJobs(_ address: String, delay: String) async throws {
        for id in ["a", "b", "c"] {
            let scheduled = try await runTool(
                "producer",
                ["--broker", address, "--topic", "jobs", "--delay", delay, "--schedule-id", id, "job"]
            )
            try #require(scheduled.status == 0, "\(scheduled.standardError)")
        }
    }

    /// Reschedules the three jobs to fire now and scrapes until all three have fired (bounded).
    func fireSchedulesNow() async throws -> Scrape {
        try await Self.scheduleJobs(broker.address, delay: "1ms")
        return try await scrape { ($0.value("sluice_schedule_lateness_seconds_count") ?? 0) >= 3 }
    }

    /// Scrapes until `condition` holds (bounded), returning the last scrape.
    func scrape(until condition: (Scrape) -> Bool) async throws -> Scrape {
        let deadline = Date().addingTimeInterval(60)
        var last = try await scrape()
        while !condition(last) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            last = try await scrape()
        }
        return last
    }

    /// Leaves the group and stops the broker.
    func finish() async throws {
        try await consumer.leave()
        iteration?.cancel()
        await connection.close()
        kafkaConnection = nil
        await #expect(try broker.stop() == 0)
    }
}

/// `body`'s result, or `CrashTestError` after `seconds`.
func withTimeout<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw CrashTestError("nothing within \(seconds) s")
        }
        return value
    }
}
