import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RecordCodec
import Testing

@testable import Broker

/// Helpers for the scheduler's integration tests: an embedded broker's scheduler driven through
/// its own API, and the topic read back with the client.
enum ScheduleTestSupport {
    /// Creates `topic` with `partitions` partitions on `server`.
    static func createTopic(_ topic: String, partitions: Int32 = 1, on server: BrokerServer) async throws {
        let registry = try #require(server.topicRegistry)
        _ = try await registry.create(CreateTopicRequest(topic: topic, partitionCount: partitions))
    }

    /// One message to schedule with a key and value.
    static func input(
        _ value: String,
        key: String? = nil,
        id: String? = nil,
        at time: ScheduleTime,
        partition: Int32? = nil
    ) -> ScheduleInput {
        ScheduleInput(
            partition: partition,
            time: time,
            scheduleID: id,
            timestamp: nil,
            key: key.map { ByteBuffer(string: $0) },
            value: ByteBuffer(string: value),
            headers: []
        )
    }

    /// Schedules `inputs` durably and returns the answers, failing the test on any refusal.
    @discardableResult
    static func schedule(
        _ inputs: [ScheduleInput],
        topic: String,
        on scheduler: Scheduler
    ) async throws -> [ScheduleAccepted] {
        try await scheduler.schedule(topic: topic, inputs, acks: .durable).get().map { try $0.get() }
    }

    /// Every record of `topic` now (all partitions, from the start).
    static func read(_ topic: String, port: Int) async throws -> [ConsumerRecord] {
        let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
        defer { Task { await connection.close() } }
        var configuration = ConsumerConfiguration()
        configuration.stopsAtEnd = true
        var records: [ConsumerRecord] = []
        for try await record in Consumer(transport: connection, topic: topic, configuration: configuration).records() {
            records.append(record)
        }
        return records
    }

    /// Reads `topic` until it holds at least `count` records (bounded: 60 s), then returns them.
    static func read(_ topic: String, port: Int, atLeast count: Int) async throws -> [ConsumerRecord] {
        let deadline = Date().addingTimeInterval(60)
        var records: [ConsumerRecord] = []
        while Date() < deadline {
            records = try await read(topic, port: port)
            if records.count >= count { return records }
            try await Task.sleep(for: .milliseconds(50))
        }
        return records
    }

    /// The value of header `key` of `record`, as a string.
    static func header(_ key: String, of record: ConsumerRecord) -> String? {
        record.headers.last { $0.key == key }.flatMap { $0.value.map { String(buffer: $0) } }
    }

    /// Waits (bounded: 60 s) until `condition` holds on the scheduler's loop.
    static func waitUntil(
        _ scheduler: Scheduler,
        _ what: String,
        _ condition: @escaping @Sendable (Scheduler) -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if try await scheduler.loop.submit({ condition(scheduler) }).get() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting until \(what)")
    }

    /// Now, in epoch milliseconds.
    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

/// A scheduler on a directory of its own, driven by a clock the test moves, firing into the topics
/// of an embedded broker: what happens at a due time does not depend on how fast the machine is.
final class ManualClockScheduler: Sendable {
    let directory = NSTemporaryDirectory() + "sluice-manual-clock-scheduler-" + UUID().uuidString
    /// The scheduler's clock (epoch ms); starts at the real time.
    let clock = NIOLockedValueBox<Int64>(ScheduleTestSupport.now)
    let settings: ScheduleSettings
    let registry: TopicRegistry
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    private let flushScheduler = FlushScheduler()

    init(server: BrokerServer, settings: ScheduleSettings = ScheduleSettings()) throws {
        self.registry = try #require(server.topicRegistry)
        self.settings = settings
    }

    deinit {
        flushScheduler.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Opens (or reopens) the scheduler on the directory and settles it.
    func open() async throws -> Scheduler {
        let clock = self.clock
        let scheduler = try Scheduler.open(
            directory: directory,
            settings: settings,
            limits: BrokerLimits(),
            registry: registry,
            issued: { IssuedProducers(idBound: 0, epoch: 0) },
            loop: loop,
            flushScheduler: flushScheduler,
            logger: Logger(label: "manual-clock-scheduler"),
            clock: { clock.withLockedValue { $0 } }
        )
        await scheduler.settle()
        return scheduler
    }

    /// Moves the clock and lets `scheduler` fire what fell due, waiting until it is idle.
    func advance(by milliseconds: Int64, _ scheduler: Scheduler) async throws {
        clock.withLockedValue { $0 += milliseconds }
        try await ScheduleTestSupport.waitIdle(scheduler)
    }
}

extension ScheduleTestSupport {
    /// Pumps `scheduler` and waits (bounded) until it has fired everything due by its clock.
    static func waitIdle(_ scheduler: Scheduler) async throws {
        _ = try await scheduler.loop.submit { scheduler.pumpSoon() }.get()
        try await waitUntil(scheduler, "the scheduler is idle") { s in
            let now = s.clock()
            return s.busy.isEmpty && s.queuedCount == 0 && !s.isSettling && s.loadedKey.due > now
                && (s.window.min.map { $0.due > now } ?? true)
        }
    }
}
