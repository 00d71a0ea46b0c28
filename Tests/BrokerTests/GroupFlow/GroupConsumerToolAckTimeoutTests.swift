import BrokerClient
import BrokerProtocol
import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import Broker

/// `consumer --group` whose output is not read for longer than the group's ack timeout: the acks
/// it sends then are refused (`notDelivered`), and those messages are delivered again; at least
/// once, the tool goes on and, with `--until-end`, exits 0 once everything is acknowledged.
@Suite struct GroupConsumerToolAckTimeoutTests {
    @Test(
        "consumer --group goes on when an ack is refused after the ack timeout",
        .timeLimit(.minutes(3))
    )
    func refusedAckDoesNotEndTheTool() async throws {
        try await withBroker { _, port in
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                connection in
                try await Admin(transport: connection).createTopic("jobs", partitions: 1)
                try await Producer.withProducer(transport: connection) { producer in
                    let padding = String(repeating: "x", count: 1024)
                    for index in 0..<300 {
                        _ = try await producer.enqueue(topic: "jobs", key: "key-\(index)", value: "\(index) \(padding)")
                    }
                }
            }
            let consumer = try await ToolChildProcess(
                "consumer",
                [
                    "--broker", "127.0.0.1:\(port)", "--topic", "jobs", "--group", "workers", "--from", "earliest",
                    "--ack-timeout", "500ms", "--until-end",
                ]
            )
            // Its output is not read until it has been blocked on it for longer than the ack timeout.
            let deadline = Date().addingTimeInterval(60)
            while !consumer.isBlockedWritingOutput() && consumer.process.isRunning && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(1500))
            // Read and wait without blocking a thread of the concurrency pool: the embedded
            // broker's administration requests (the tool's --until-end checks) run there.
            let handle = consumer.output.fileHandleForReading
            let output = NIOLockedValueBox<Data?>(nil)
            DispatchQueue.global().async {
                let data = handle.readDataToEndOfFile()
                output.withLockedValue { $0 = data }
            }
            let exitDeadline = Date().addingTimeInterval(60)
            while consumer.process.isRunning && Date() < exitDeadline { try await Task.sleep(for: .milliseconds(10)) }
            let status = try await consumer.waitForExit(timeoutSeconds: 1)
            try? consumer.output.fileHandleForWriting.close()
            while output.withLockedValue({ $0 }) == nil && Date() < exitDeadline.addingTimeInterval(10) {
                try await Task.sleep(for: .milliseconds(10))
            }
            let lines = String(decoding: output.withLockedValue { $0 } ?? Data(), as: UTF8.self).split(separator: "\n")
            #expect(status == 0, "\(consumer.standardError)")
            #expect(Set(lines.map { $0.prefix { $0 != " " } }).count == 300, "every message printed")
        }
    }
}
