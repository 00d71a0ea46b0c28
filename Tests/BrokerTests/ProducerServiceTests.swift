import Broker
import BrokerClient
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// A ``Producer`` in a `ServiceGroup`: graceful shutdown sends every accepted record, then ends.
@Suite struct ProducerServiceTests {
    private enum Ended { case group, watchdog }

    @Test func gracefulShutdownSendsEveryAcceptedRecordToTheLog() async throws {
        try await withBroker { _, port in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            let admin = Admin(transport: connection)
            try await admin.createTopic("orders", partitions: 2)
            var configuration = ProducerConfiguration()
            // Nothing is sent by the linger: only the graceful shutdown's flush sends the records.
            configuration.linger = .seconds(600)
            let producer = Producer(transport: connection, configuration: configuration)
            let group = ServiceGroup(services: [producer], logger: Logger(label: "test"))
            let pending = try await withThrowingTaskGroup(of: Ended.self) { tasks in
                tasks.addTask {
                    try await group.run()
                    return .group
                }
                var pending: [PendingRecord] = []
                for index in 0..<40 {
                    pending.append(try await producer.enqueue(topic: "orders", value: ByteBuffer(string: "r\(index)")))
                }
                await group.triggerGracefulShutdown()
                // A bounded wait: if the group has not ended long after, cancel it and fail.
                tasks.addTask {
                    try? await Task.sleep(for: .seconds(30))
                    return .watchdog
                }
                let first = try await tasks.next()
                tasks.cancelAll()
                #expect(first == .group, "graceful shutdown did not end the producer's run()")
                return pending
            }
            var perPartition: [Int32: Int64] = [:]
            for record in pending {
                let metadata = try await record.metadata()
                perPartition[metadata.partition, default: 0] += 1
            }
            let offsets = try await admin.listOffsets(topic: "orders", partitions: [0, 1], at: .latest)
            #expect(offsets.reduce(0) { $0 + $1.logEndOffset } == 40)
            for entry in offsets { #expect(entry.logEndOffset == perPartition[entry.partition, default: 0]) }
            // The producer is closed: later records are refused.
            await #expect(throws: ClientError.self) { _ = try await producer.enqueue(topic: "orders", value: nil) }
            await connection.close()
        }
    }
}
