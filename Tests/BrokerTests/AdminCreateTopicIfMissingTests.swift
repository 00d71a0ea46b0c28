import Broker
import BrokerClient
import BrokerProtocol
import NIOCore
import Testing

@Suite("Admin.createTopicIfMissing against an embedded broker")
struct AdminCreateTopicIfMissingTests {
    static func connection(_ port: Int) -> BrokerConnection {
        BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
    }

    @Test("a missing topic is created; the same call again succeeds and leaves the topic and its records alone")
    func createsThenAccepts() async throws {
        try await withBroker { _, port in
            let connection = Self.connection(port)
            let admin = Admin(transport: connection)
            #expect(try await admin.createTopicIfMissing("orders", partitions: 3, retention: .seconds(3600)))
            #expect(try await admin.listTopics() == [TopicSummary(name: "orders", partitionCount: 3)])
            _ = try await Producer.withProducer(transport: connection) { producer in
                try await producer.send(topic: "orders", value: ByteBuffer(string: "kept"), partition: 1)
            }
            #expect(try await admin.createTopicIfMissing("orders", partitions: 3) == false)
            // A second call with other settings does not change the existing topic.
            #expect(try await admin.createTopicIfMissing("orders", partitions: 3, retention: .seconds(60)) == false)
            let description = try await admin.describeTopic("orders")
            #expect(description.partitions.count == 3)
            #expect(description.partitions[1].endOffset == 1)
            #expect(description.retentionMilliseconds == 3_600_000)
            await connection.close()
        }
    }

    @Test("a topic that exists with another partition count is a clear error, and the topic is unchanged")
    func otherPartitionCount() async throws {
        try await withBroker { _, port in
            let connection = Self.connection(port)
            let admin = Admin(transport: connection)
            try await admin.createTopic("orders", partitions: 3)
            let error = try await #require(throws: ClientError.self) {
                try await admin.createTopicIfMissing("orders", partitions: 4)
            }
            #expect(error.code == .broker(.topicAlreadyExists))
            #expect(
                error.message == "topic \"orders\" already exists with 3 partitions, not the 4 asked for",
                "\(error.message)"
            )
            try await admin.createTopic("one", partitions: 1)
            let single = try await #require(throws: ClientError.self) {
                try await admin.createTopicIfMissing("one", partitions: 2)
            }
            #expect(single.message == "topic \"one\" already exists with 1 partition, not the 2 asked for")
            #expect(try await admin.listTopics().first { $0.name == "orders" }?.partitionCount == 3)
            await connection.close()
        }
    }

    @Test("services starting together: every call succeeds and exactly one creates the topic")
    func concurrentCalls() async throws {
        try await withBroker { _, port in
            let connection = Self.connection(port)
            let created = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await Admin(transport: connection).createTopicIfMissing("jobs", partitions: 2) }
                }
                var created: [Bool] = []
                for try await value in group { created.append(value) }
                return created
            }
            #expect(created.count == 8)
            #expect(created.filter { $0 }.count == 1)
            #expect(
                try await Admin(transport: connection).listTopics() == [TopicSummary(name: "jobs", partitionCount: 2)]
            )
            await connection.close()
        }
    }

    @Test("invalid arguments are the broker's error, as for createTopic")
    func invalidArguments() async throws {
        try await withBroker { _, port in
            let connection = Self.connection(port)
            let error = try await #require(throws: ClientError.self) {
                try await Admin(transport: connection).createTopicIfMissing("zero", partitions: 0)
            }
            #expect(error.code == .broker(.invalidTopicConfiguration), "\(error)")
            #expect(try await Admin(transport: connection).listTopics().isEmpty)
            await connection.close()
        }
    }
}
