import Broker
import BrokerClient
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A ``Consumer`` in a `ServiceGroup`: a graceful shutdown ends the handler's iteration after the
/// record it is handling, and the consumer's positions say where to go on.
@Suite struct ConsumerServiceTests {
    /// The offsets a handler handled.
    private final class Handled: Sendable {
        let offsets = Mutex<[Int64]>([])
    }

    /// Handles records until the iteration ends; after `pauseAfter` records it waits at a gate.
    private struct Handler: Service {
        let consumer: Consumer
        let handled: Handled
        let paused: AsyncStream<Void>.Continuation
        let gate: AsyncStream<Void>
        let pauseAfter: Int

        func run() async throws {
            for try await record in consumer.records() {
                let count = handled.offsets.withLock {
                    $0.append(record.offset)
                    return $0.count
                }
                if count == pauseAfter {
                    paused.yield()
                    for await _ in gate { break }
                }
            }
        }
    }

    /// Waits (boundedly) for `condition`.
    private func waitUntil(_ condition: () async -> Bool) async throws {
        for _ in 0..<3000 {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the condition did not become true")
    }

    @Test func gracefulShutdownEndsTheIterationAfterTheRecordBeingHandled() async throws {
        try await withBroker { _, port in
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                try await Admin(transport: connection).createTopic("orders", partitions: 1)
                try await Producer.withProducer(transport: connection) { producer in
                    for index in 0..<100 { _ = try await producer.enqueue(topic: "orders", value: "order \(index)") }
                    try await producer.flush()
                }
                let consumer = Consumer(transport: connection, topic: "orders")
                let (paused, pausedContinuation) = AsyncStream<Void>.makeStream()
                let (gate, gateContinuation) = AsyncStream<Void>.makeStream()
                let handled = Handled()
                let handler = Handler(
                    consumer: consumer,
                    handled: handled,
                    paused: pausedContinuation,
                    gate: gate,
                    pauseAfter: 10
                )
                // The consumer comes after its handler: it is shut down first, which ends the
                // handler's iteration.
                let group = ServiceGroup(services: [handler, consumer], logger: Logger(label: "test"))
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    for await _ in paused { break }
                    await group.triggerGracefulShutdown()
                    try await waitUntil { consumer.isStopped }
                    gateContinuation.yield()
                    try await tasks.waitForAll()
                }
                // The ten records handled, and none after: the 90 fetched but not handed out
                // were given back.
                #expect(handled.offsets.withLock { $0 } == Array(0..<10))
                #expect(await consumer.positions == [0: 10])
                #expect(try await consumer.poll().isEmpty)
            }
        }
    }

    @Test func stopEndsAnIterationWaitingForNewRecords() async throws {
        try await withBroker { _, port in
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
                try await Admin(transport: connection).createTopic("empty", partitions: 2)
                var configuration = ConsumerConfiguration()
                configuration.maxWait = .milliseconds(200)
                let consumer = Consumer(transport: connection, topic: "empty", configuration: configuration)
                let iteration = Task {
                    var count = 0
                    for try await _ in consumer.records() { count += 1 }
                    return count
                }
                try await waitUntil { await !consumer.positions.isEmpty }
                consumer.stop()
                #expect(try await iteration.value == 0)
                // A new iteration ends at once.
                var later = consumer.records().makeAsyncIterator()
                #expect(try await later.next() == nil)
            }
        }
    }
}
