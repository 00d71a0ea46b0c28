import BrokerProtocol
import Foundation
import ProcessTesting
import Testing

/// Real Kafka clients (kafka-python, confluent-kafka) run through `Scripts/kafka_clients.py`
/// against `brokerd --kafka-listen`.
enum KafkaClients {
    /// `Scripts/kafka_clients.py`, found beside this file (the tests run from the source tree).
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Scripts")
        .appendingPathComponent("kafka_clients.py")
        .path

    /// A message as the script prints it.
    struct Message: Decodable, Equatable {
        var partition: Int32
        var offset: Int64
        var key: String?
        var value: String?
        var headers: [[String]]
        var timestamp: Int64
    }

    /// What a producer run reports per message.
    struct Delivery: Decodable {
        var partition: Int32
        var offset: Int64
        var error: String?
    }

    /// Message `i` as the script sends it (kp-produce / ck-produce).
    static func sent(_ i: Int, partition: Int32, offset: Int64) -> Message {
        Message(
            partition: partition,
            offset: offset,
            key: "key-\(i)",
            value: "value-\(i)",
            headers: [["h", "\(i)"]],
            timestamp: 1_700_000_000_000 + Int64(i)
        )
    }

    /// The partition Kafka's default partitioner (murmur2) picks for message `i`'s key.
    static func murmur2Partition(_ i: Int, partitionCount: Int32) -> Int32 {
        Partitioner.partition(forKey: Array("key-\(i)".utf8), partitionCount: partitionCount)
    }

    /// Runs `python3 kafka_clients.py arguments…`, bounded, and decodes its JSON output.
    static func run<T: Decodable>(
        _ arguments: [String],
        as _: T.Type,
        timeoutSeconds: Double = 120
    ) async throws -> T {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let run = try await runToCompletion(
            process,
            timeoutSeconds: timeoutSeconds,
            describedAs: "kafka_clients.py \(arguments)"
        )
        guard run.status == 0 else {
            throw CrashTestError(
                "kafka_clients.py \(arguments) exited \(run.status) (needs python3 with "
                    + "kafka-python 2.x and confluent-kafka 2.x, see .ci/run): \(run.standardError)"
            )
        }
        return try JSONDecoder().decode(T.self, from: Data(run.standardOutput.utf8))
    }

    /// A message as Sluice's `consumer --format json` prints it.
    struct SluiceMessage: Decodable {
        struct Header: Decodable {
            var key: String
            var value: String?
        }
        var partition: Int32
        var offset: Int64
        var timestamp: Int64
        var key: String?
        var value: String?
        var headers: [Header]

        /// The same fields in the script's shape.
        var asMessage: Message {
            Message(
                partition: partition,
                offset: offset,
                key: key,
                value: value,
                headers: headers.map { [$0.key, $0.value ?? ""] },
                timestamp: timestamp
            )
        }
    }

    /// Reads the whole topic with Sluice's own `consumer`, retrying (bounded) until `count`
    /// messages are there (an acks=0 produce is not confirmed to its client).
    static func sluiceMessages(broker: String, topic: String, count: Int) async throws -> [Message] {
        var messages: [Message] = []
        for _ in 0..<50 {
            let run = try await runTool(
                "consumer",
                ["--broker", broker, "--topic", topic, "--until-end", "--format", "json"]
            )
            #expect(run.status == 0, "\(run.standardError)")
            messages = try run.lines.map {
                try JSONDecoder().decode(SluiceMessage.self, from: Data($0.utf8)).asMessage
            }
            if messages.count >= count { break }
            try? await Task.sleep(for: .seconds(0.2))
        }
        return messages.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
    }

    /// The Kafka listener's address from brokerd's "Kafka listener accepting" log line.
    static func kafkaAddress(of broker: BrokerdProcess) async throws -> String {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            for line in broker.logText.split(separator: "\n") where line.contains("Kafka listener accepting") {
                if let range = line.range(of: #"127\.0\.0\.1:[1-9]\d*"#, options: .regularExpression) {
                    return String(line[range])
                }
            }
            try? await Task.sleep(for: .seconds(0.05))
        }
        throw CrashTestError("no 'Kafka listener accepting' line in brokerd's log: \(broker.logText)")
    }

    /// Creates a topic with `brokerctl`.
    static func createTopic(_ name: String, partitions: Int, broker: String) async throws {
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker, "topics", "create", name, "--partitions", "\(partitions)"]
        )
        #expect(created.status == 0, "\(created.standardError)")
    }
}
