import Broker
import BrokerProtocol
import Foundation
import Testing

@Suite("Topic directories: create and delete leave nothing behind, deletion never comes back")
struct TopicDirectoryTests {
    static let longestName = String(repeating: "x", count: 200) + "-" + String(repeating: "y", count: 48)

    @Test("a topic with the longest name is deleted, stays deleted after a restart, and its directory is gone")
    func deleteLongestName() async throws {
        let scratch = try ScratchDirectory()
        #expect(Self.longestName.utf8.count == TopicName.maximumLength)
        try await withBroker(dataDirectory: scratch.path) { _, connection in
            try await ProduceFetchTests.create(connection, Self.longestName, partitions: 2)
            let produced = try await ProduceFetchTests.produce(
                connection,
                Self.longestName,
                partition: 0,
                batchBytes(["kept?"])
            )
            #expect(produced.errorCode == .none)
            let deleted = try await connection.call(
                DeleteTopicRequest(topic: Self.longestName),
                as: DeleteTopicResponse.self
            )
            #expect(deleted.result.errorCode == .none, "\(deleted.result.errorMessage ?? "")")
            #expect(deleted.result.errorMessage?.contains("NSCocoaErrorDomain") != true)
            #expect(try scratch.entries().filter { $0 != "producer-ids" } == [])
        }
        try await withBroker(dataDirectory: scratch.path) { _, connection in
            let listed = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(listed.topics.isEmpty)
            let gone = try await connection.call(
                DescribeTopicRequest(topic: Self.longestName),
                as: DescribeTopicResponse.self
            )
            #expect(gone.result.errorCode == .unknownTopic)
            // The name is free again, from scratch.
            try await ProduceFetchTests.create(connection, Self.longestName, partitions: 1)
            let fresh = try await connection.call(
                DescribeTopicRequest(topic: Self.longestName),
                as: DescribeTopicResponse.self
            )
            #expect(fresh.partitions.map(\.logEndOffset) == [0])
        }
        #expect(try scratch.entries().filter { $0 != "producer-ids" } == [Self.longestName])
    }

    @Test("leftovers of an interrupted create or delete are removed at start-up")
    func leftoversRemovedAtStart() async throws {
        let scratch = try ScratchDirectory()
        for leftover in [".deleted-0123456789abcdef", ".creating-0123456789abcdef"] {
            try FileManager.default.createDirectory(
                atPath: scratch.path + "/" + leftover + "/0",
                withIntermediateDirectories: true
            )
            try Data("{\"partitionCount\":1,\"segmentBytes\":1048576}".utf8).write(
                to: URL(fileURLWithPath: scratch.path + "/" + leftover + "/topic.json")
            )
        }
        try await withBroker(dataDirectory: scratch.path) { _, connection in
            let listed = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(listed.topics.isEmpty)
        }
        #expect(try scratch.entries() == [])
    }

    @Test(
        "a create that runs out of space leaves no directory, says why, and the topic does not exist",
        .enabled(if: TinyFileSystem.isAvailable, "needs root to mount a tmpfs"),
        arguments: [3, 4, 5, 7, 10, 16]
    )
    func failedCreateLeavesNothing(inodes: Int) async throws {
        let fileSystem = try #require(TinyFileSystem(inodes: inodes))
        defer { fileSystem.unmount() }
        let dataDirectory = fileSystem.path + "/data"
        try await withBroker(dataDirectory: dataDirectory) { _, connection in
            let before = try FileManager.default.contentsOfDirectory(atPath: dataDirectory).sorted()
            let response = try await connection.call(
                CreateTopicRequest(topic: "too-big", partitionCount: 8),
                as: CreateTopicResponse.self
            )
            #expect(response.result.errorCode == .storageError)
            let message = response.result.errorMessage ?? ""
            #expect(message.contains("too-big"), "\(message)")
            #expect(message.contains("No space left on device"), "\(message)")
            #expect(!message.contains("NSCocoaErrorDomain") && !message.contains("Error Domain"), "\(message)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dataDirectory).sorted() == before)
            let gone = try await connection.call(DescribeTopicRequest(topic: "too-big"), as: DescribeTopicResponse.self)
            #expect(gone.result.errorCode == .unknownTopic)
        }
        try await withBroker(dataDirectory: dataDirectory) { _, connection in
            let listed = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(listed.topics.isEmpty)
        }
    }

    @Test(
        "adding partitions that run out of space leaves the topic as it was",
        .enabled(if: TinyFileSystem.isAvailable, "needs root to mount a tmpfs")
    )
    func failedAddPartitionsLeavesNothing() async throws {
        let fileSystem = try #require(TinyFileSystem(inodes: 24))
        defer { fileSystem.unmount() }
        let dataDirectory = fileSystem.path + "/data"
        try await withBroker(dataDirectory: dataDirectory) { _, connection in
            try await ProduceFetchTests.create(connection, "grows", partitions: 1)
            let before = try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/grows").sorted()
            let grown = try await connection.call(
                AddPartitionsRequest(topic: "grows", partitionCount: 64),
                as: AddPartitionsResponse.self
            )
            #expect(grown.result.errorCode == .storageError)
            #expect(grown.result.errorMessage?.contains("No space left on device") == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/grows").sorted() == before)
            let described = try await connection.call(
                DescribeTopicRequest(topic: "grows"),
                as: DescribeTopicResponse.self
            )
            #expect(described.partitions.count == 1)
        }
        try await withBroker(dataDirectory: dataDirectory) { _, connection in
            let described = try await connection.call(
                DescribeTopicRequest(topic: "grows"),
                as: DescribeTopicResponse.self
            )
            #expect(described.partitions.count == 1)
        }
    }

    @Test(
        "a deletion whose rename fails leaves the topic as it was, open, with its data",
        .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/chattr"), "needs root")
    )
    func failedDeleteLeavesTopic() async throws {
        let scratch = try ScratchDirectory()
        defer { _ = try? runCommand("/usr/bin/chattr", ["-i", scratch.path]) }
        try await withBroker(dataDirectory: scratch.path) { _, connection in
            try await ProduceFetchTests.create(connection, "stays", partitions: 1)
            _ = try await ProduceFetchTests.produce(connection, "stays", partition: 0, batchBytes(["one"]))
            // An immutable data directory: no entry in it can be renamed, even by root.
            try runCommand("/usr/bin/chattr", ["+i", scratch.path])
            let refused = try await connection.call(DeleteTopicRequest(topic: "stays"), as: DeleteTopicResponse.self)
            #expect(refused.result.errorCode == .storageError)
            let message = refused.result.errorMessage ?? ""
            #expect(message.contains("stays") && message.contains("Operation not permitted"), "\(message)")
            #expect(!message.contains("NSCocoaErrorDomain"))
            let produced = try await ProduceFetchTests.produce(connection, "stays", partition: 0, batchBytes(["two"]))
            #expect(produced.errorCode == .none && produced.baseOffset == 1)
            try runCommand("/usr/bin/chattr", ["-i", scratch.path])
            let deleted = try await connection.call(DeleteTopicRequest(topic: "stays"), as: DeleteTopicResponse.self)
            #expect(deleted.result.errorCode == .none)
        }
        try await withBroker(dataDirectory: scratch.path) { _, connection in
            let listed = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(listed.topics.isEmpty)
        }
    }

    @Test(
        "names the broker uses for its own directories are refused (they would be removed at the next start)",
        arguments: [".deleted-0123456789abcdef", ".creating-x", ".deleted-", ".creating-"]
    )
    func brokerDirectoryNames(name: String) async throws {
        let scratch = try ScratchDirectory()
        try await withBroker(dataDirectory: scratch.path) { _, connection in
            let response = try await connection.call(
                CreateTopicRequest(topic: name, partitionCount: 1),
                as: CreateTopicResponse.self
            )
            #expect(response.result.errorCode == .reservedTopicName, "\(response.result)")
        }
        #expect(try scratch.entries().allSatisfy { $0 != name })
    }

    @Test("a directory in the way of a new topic is reported, not adopted")
    func directoryInTheWay() async throws {
        let scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(atPath: scratch.path + "/orphan/0", withIntermediateDirectories: true)
        try await withBroker(dataDirectory: scratch.path) { _, connection in
            let response = try await connection.call(
                CreateTopicRequest(topic: "orphan", partitionCount: 1),
                as: CreateTopicResponse.self
            )
            #expect(response.result.errorCode == .storageError)
            #expect(response.result.errorMessage?.contains("not a topic") == true, "\(response.result)")
            #expect(try scratch.entries("orphan") == ["0"])
        }
    }
}

@Suite("Descriptors of the data directory")
struct DataDirectoryDescriptorTests {
    /// This process's open descriptors on files under `directory`.
    static func descriptors(under directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0) }
            .filter { $0.hasPrefix(directory + "/") }
    }

    /// Waits (bounded) until no descriptor under `directory` matches `isHeld`, and returns those left.
    static func waitForRelease(under directory: String, _ isHeld: (String) -> Bool) async throws -> [String] {
        for _ in 0..<250 {
            let held = descriptors(under: directory).filter(isHeld)
            if held.isEmpty { return [] }
            try await Task.sleep(for: .milliseconds(20))
        }
        return descriptors(under: directory).filter(isHeld)
    }

    @Test("a deleted topic's descriptors close at once, and a stopped broker holds none")
    func descriptorsReleased() async throws {
        let scratch = try ScratchDirectory()
        try await withBroker(dataDirectory: scratch.path) { _, connection in
            try await ProduceFetchTests.create(connection, "gone", partitions: 3)
            try await ProduceFetchTests.create(connection, "kept", partitions: 2)
            let open = Self.descriptors(under: scratch.path)
            #expect(open.contains { $0.contains("/gone/") } && open.contains { $0.contains("/kept/") })
            let deleted = try await connection.call(DeleteTopicRequest(topic: "gone"), as: DeleteTopicResponse.self)
            #expect(deleted.result.errorCode == .none)
            #expect(try await Self.waitForRelease(under: scratch.path) { $0.contains("/gone/") } == [])
        }
        #expect(try await Self.waitForRelease(under: scratch.path) { _ in true } == [])
    }
}

@Suite("The data directory's other files")
struct DataDirectoryFileTests {
    @Test("a producer-ids file that cannot be read stops the start instead of reusing producer ids")
    func unreadableProducerIDs() async throws {
        let scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(
            atPath: scratch.path + "/producer-ids",
            withIntermediateDirectories: true
        )
        let server = BrokerServer(configuration: BrokerConfiguration(dataDirectory: scratch.path, port: 0))
        do {
            try await server.start()
            try? await server.shutdown()
            Issue.record("the broker started with an unreadable producer-ids")
        } catch let error as BrokerError {
            #expect(error.code == .storageError)
            #expect(error.message.contains("producer-ids"), "\(error)")
        }
    }
}
