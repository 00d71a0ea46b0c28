import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// The Kafka offset store against an embedded broker: commits are durable and survive restarts,
/// fetch answers -1 where nothing is committed, the limits are enforced at their edge, a deleted
/// topic takes its Kafka offsets along, and a group name belongs to one kind (both ways, and
/// across a restart). The native `listGroups` / `describeGroup` show Kafka groups with their lag.
@Suite("Kafka offset store")
struct KafkaOffsetStoreTests {
    /// A broker on `directory` (kept across calls), its Kafka offset store and an admin client.
    static func withKafkaBroker<T>(
        in directory: String,
        limits: KafkaOffsetLimits = KafkaOffsetLimits(),
        _ body: (BrokerServer, KafkaOffsetStore, Admin, Int) async throws -> T
    ) async throws -> T {
        let configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        return try await BrokerServer.withServer(configuration: configuration) { server in
            let port = try #require(server.localPort)
            let offsets = try #require(try server.kafkaOffsetStore(limits: limits))
            return try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                try await body(server, offsets, Admin(transport: $0), port)
            }
        }
    }

    static func scratchDirectory() -> String {
        NSTemporaryDirectory() + "sluice-kafka-offsets-" + UUID().uuidString
    }

    static func tp(_ topic: String, _ partition: Int32) -> KafkaTopicPartition {
        KafkaTopicPartition(topic: topic, partition: partition)
    }

    @Test("commits are answered per partition, fetched back, and survive a restart of the broker")
    func commitFetchRestart() async throws {
        let directory = Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.withKafkaBroker(in: directory) { _, offsets, admin, _ in
            try await admin.createTopic("orders", partitions: 2)
            #expect(
                try await offsets.fetchOffsets(group: "app", partitions: [Self.tp("orders", 0)]) == [
                    KafkaFetchedOffset(Self.tp("orders", 0), offset: -1)
                ]
            )
            let results = try await offsets.commitOffsets(
                group: "app",
                offsets: [
                    KafkaOffsetCommit(Self.tp("orders", 0), offset: 10, leaderEpoch: 2, metadata: "m"),
                    KafkaOffsetCommit(Self.tp("orders", 1), offset: 20),
                    KafkaOffsetCommit(Self.tp("orders", 2), offset: 1),
                    KafkaOffsetCommit(Self.tp("nope", 0), offset: 1),
                    KafkaOffsetCommit(Self.tp("orders", 1), offset: -1),
                ]
            )
            #expect(
                results == [.committed, .committed, .unknownTopicOrPartition, .unknownTopicOrPartition, .invalidOffset]
            )
            #expect(results.map(\.kafkaErrorCode) == [0, 0, 3, 3, 42])
            #expect(offsets.kafkaGroups() == ["app"])
        }
        try await Self.withKafkaBroker(in: directory) { _, offsets, _, _ in
            try Task.checkCancellation()
            #expect(offsets.kafkaGroups() == ["app"])
            #expect(
                try await offsets.fetchOffsets(group: "app", partitions: nil) == [
                    KafkaFetchedOffset(Self.tp("orders", 0), offset: 10, leaderEpoch: 2, metadata: "m"),
                    KafkaFetchedOffset(Self.tp("orders", 1), offset: 20),
                ]
            )
            #expect(
                try await offsets.fetchOffsets(group: "app", partitions: [Self.tp("orders", 1), Self.tp("x", 0)]) == [
                    KafkaFetchedOffset(Self.tp("orders", 1), offset: 20),
                    KafkaFetchedOffset(Self.tp("x", 0), offset: -1),
                ]
            )
            // An unknown group has nothing committed, and is not created by a fetch.
            #expect(try await offsets.fetchOffsets(group: "other", partitions: nil) == [])
            #expect(offsets.kafkaGroups() == ["app"])
        }
    }

    @Test("the metadata, partition and group limits, at their edge; the limits' ranges")
    func limits() async throws {
        let directory = Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var limits = KafkaOffsetLimits()
        limits.maxCommittedPartitionsPerGroup = 3
        limits.maxMetadataBytes = 10
        try await Self.withKafkaBroker(in: directory, limits: limits) { _, offsets, admin, _ in
            try await admin.createTopic("t", partitions: 5)
            let first = try await offsets.commitOffsets(
                group: "g",
                offsets: [
                    KafkaOffsetCommit(Self.tp("t", 0), offset: 1, metadata: String(repeating: "é", count: 5)),
                    KafkaOffsetCommit(Self.tp("t", 1), offset: 1, metadata: String(repeating: "m", count: 11)),
                    KafkaOffsetCommit(Self.tp("t", 1), offset: 1),
                ]
            )
            #expect(first == [.committed, .metadataTooLarge, .committed])
            #expect(first.map(\.kafkaErrorCode) == [0, 12, 0])
            // The third partition fits, the fourth does not; a partition already committed still updates.
            let second = try await offsets.commitOffsets(
                group: "g",
                offsets: [
                    KafkaOffsetCommit(Self.tp("t", 2), offset: 1),
                    KafkaOffsetCommit(Self.tp("t", 3), offset: 1),
                    KafkaOffsetCommit(Self.tp("t", 0), offset: 9),
                    KafkaOffsetCommit(Self.tp("t", 2), offset: 4),
                ]
            )
            #expect(second == [.committed, .tooManyPartitions, .committed, .committed])
            #expect(second[1].kafkaErrorCode == 28)
            #expect(try await offsets.fetchOffsets(group: "g", partitions: nil).map(\.offset) == [9, 1, 4])
            // Deleting an offset frees its place.
            try await offsets.deleteOffsets(group: "g", partitions: [Self.tp("t", 1)])
            #expect(
                try await offsets.commitOffsets(group: "g", offsets: [KafkaOffsetCommit(Self.tp("t", 3), offset: 1)])
                    == [.committed]
            )
        }
        // The group limit: the second group fits, the third does not; existing groups still commit.
        let groupsDirectory = Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: groupsDirectory) }
        var groupLimits = KafkaOffsetLimits()
        groupLimits.maxGroups = 2
        try await Self.withKafkaBroker(in: groupsDirectory, limits: groupLimits) { _, offsets, admin, _ in
            try await admin.createTopic("t", partitions: 1)
            let commit = [KafkaOffsetCommit(Self.tp("t", 0), offset: 1)]
            #expect(try await offsets.commitOffsets(group: "g1", offsets: commit) == [.committed])
            #expect(try await offsets.commitOffsets(group: "g2", offsets: commit) == [.committed])
            await #expect(throws: KafkaOffsetStoreError.tooManyGroups(limit: 2)) {
                try await offsets.commitOffsets(group: "g3", offsets: commit)
            }
            #expect(KafkaOffsetStoreError.tooManyGroups(limit: 2).kafkaErrorCode == 28)
            #expect(try await offsets.commitOffsets(group: "g1", offsets: commit) == [.committed])
            try await offsets.deleteGroup("g2")
            #expect(try await offsets.commitOffsets(group: "g3", offsets: commit) == [.committed])
            #expect(offsets.kafkaGroups() == ["g1", "g3"])
        }
        var bad = KafkaOffsetLimits()
        bad.maxGroups = 0
        #expect(throws: BrokerError.self) { try bad.validate() }
        bad = KafkaOffsetLimits()
        bad.maxMetadataBytes = GroupStateRecord.maxKafkaMetadataBytes + 1
        #expect(throws: BrokerError.self) { try bad.validate() }
        bad = KafkaOffsetLimits()
        bad.maxCommittedPartitionsPerGroup = 0
        #expect(throws: BrokerError.self) { try bad.validate() }
        #expect(KafkaOffsetLimits().maxMetadataBytes == 4096)
    }

    @Test("one kind per name: Kafka on a Sluice group's name and Sluice on a Kafka group's, also after a restart")
    func oneKindPerName() async throws {
        let directory = Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for restart in [false, true] {
            try await Self.withKafkaBroker(in: directory) { _, offsets, admin, port in
                if !restart {
                    try await admin.createTopic("t", partitions: 1)
                    let member = try await RawMember(port: port)
                    try await member.subscribe(group: "sluice-group", topics: ["t"])
                    _ = try await offsets.commitOffsets(
                        group: "kafka-group",
                        offsets: [KafkaOffsetCommit(Self.tp("t", 0), offset: 0)]
                    )
                }
                await #expect(throws: KafkaOffsetStoreError.groupKindMismatch(group: "sluice-group")) {
                    try await offsets.commitOffsets(
                        group: "sluice-group",
                        offsets: [KafkaOffsetCommit(Self.tp("t", 0), offset: 0)]
                    )
                }
                await #expect(throws: KafkaOffsetStoreError.groupKindMismatch(group: "sluice-group")) {
                    try await offsets.fetchOffsets(group: "sluice-group", partitions: nil)
                }
                await #expect(throws: KafkaOffsetStoreError.groupKindMismatch(group: "sluice-group")) {
                    try await offsets.deleteGroup("sluice-group")
                }
                #expect(throws: KafkaOffsetStoreError.groupKindMismatch(group: "sluice-group")) {
                    try offsets.checkGroupName("sluice-group")
                }
                try offsets.checkGroupName("kafka-group")
                try offsets.checkGroupName("unused")
                #expect(KafkaOffsetStoreError.groupKindMismatch(group: "x").kafkaErrorCode == 23)
                let member = try await RawMember(port: port)
                do {
                    try await member.subscribe(group: "kafka-group", topics: ["t"])
                    Issue.record("a Sluice subscribe to a Kafka group's name was accepted")
                } catch {
                    #expect("\(error)".contains("group kind mismatch"), "\(error)")
                    #expect(
                        "\(error)".contains("group 'kafka-group' is a Kafka classic group, not a Sluice group"),
                        "\(error)"
                    )
                }
                do {
                    try await admin.resetGroup("kafka-group", topic: "t", to: .earliest)
                    Issue.record("a reset of a Kafka group was accepted")
                } catch let error as ClientError {
                    #expect(error.code == .broker(.groupKindMismatch), "\(error)")
                }
                #expect(offsets.kafkaGroups() == ["kafka-group"])
            }
        }
        // Deleting the Kafka group frees its name for a Sluice group.
        try await Self.withKafkaBroker(in: directory) { _, offsets, _, port in
            try await offsets.deleteGroup("kafka-group")
            await #expect(throws: KafkaOffsetStoreError.unknownGroup(group: "kafka-group")) {
                try await offsets.deleteGroup("kafka-group")
            }
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "kafka-group", topics: ["t"])
            #expect(offsets.kafkaGroups() == [])
        }
    }

    @Test("group ids that are not valid group names are refused as INVALID_GROUP_ID")
    func invalidGroupIDs() async throws {
        try await withBroker { server, _ in
            let offsets = try #require(try server.kafkaOffsetStore())
            for group in ["", "has space", "__reserved", String(repeating: "g", count: 250)] {
                do {
                    #expect(throws: KafkaOffsetStoreError.self) { try offsets.checkGroupName(group) }
                    _ = try await offsets.commitOffsets(group: group, offsets: [])
                    Issue.record("group id '\(group)' accepted")
                } catch let error as KafkaOffsetStoreError {
                    #expect(error.kafkaErrorCode == 24, "\(error)")
                    #expect("\(error)".contains("invalid Kafka group id"))
                }
            }
        }
    }

    @Test("a deleted topic takes the Kafka groups' offsets on it along, durably")
    func topicDeletion() async throws {
        let directory = Self.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await Self.withKafkaBroker(in: directory) { _, offsets, admin, _ in
            try await admin.createTopic("gone", partitions: 2)
            try await admin.createTopic("kept", partitions: 1)
            _ = try await offsets.commitOffsets(
                group: "g",
                offsets: [
                    KafkaOffsetCommit(Self.tp("gone", 0), offset: 3), KafkaOffsetCommit(Self.tp("gone", 1), offset: 4),
                    KafkaOffsetCommit(Self.tp("kept", 0), offset: 5),
                ]
            )
            try await admin.deleteTopic("gone")
            try await admin.createTopic("gone", partitions: 2)
            #expect(
                try await offsets.fetchOffsets(group: "g", partitions: nil) == [
                    KafkaFetchedOffset(Self.tp("kept", 0), offset: 5)
                ]
            )
        }
        try await Self.withKafkaBroker(in: directory) { _, offsets, _, _ in
            try Task.checkCancellation()
            #expect(
                try await offsets.fetchOffsets(group: "g", partitions: nil) == [
                    KafkaFetchedOffset(Self.tp("kept", 0), offset: 5)
                ]
            )
        }
    }

    @Test("listGroups and describeGroup show a Kafka group: its kind, topics, committed offsets and lag")
    func nativeDescribe() async throws {
        try await withBroker { server, port in
            let offsets = try #require(try server.kafkaOffsetStore())
            try await produceJobs(port: port, topic: "orders", partitions: 2, count: 20, keys: 20)
            _ = try await offsets.commitOffsets(
                group: "kapp",
                offsets: [
                    KafkaOffsetCommit(Self.tp("orders", 0), offset: 3),
                    KafkaOffsetCommit(Self.tp("orders", 1), offset: 0),
                ]
            )
            let connection = try await TestConnection(port: port)
            let list = try await connection.call(ListGroupsRequest(), as: ListGroupsResponse.self)
            #expect(list.groups == [.init(group: "kapp", kind: .kafka, topics: ["orders"], members: 0)])
            let described = try await connection.call(
                DescribeGroupRequest(group: "kapp"),
                as: DescribeGroupResponse.self
            )
            #expect(described.kind == .kafka)
            #expect(described.members.isEmpty)
            #expect(described.partitions.map(\.committedOffset) == [3, 0])
            let ends = described.partitions.map(\.logEndOffset)
            #expect(ends.reduce(0, +) == 20)
            #expect(described.partitions.map(\.lag) == [ends[0] - 3, ends[1]])
            // The native deleteGroup deletes a Kafka group too, and frees the name.
            _ = try await connection.call(DeleteGroupRequest(group: "kapp"), as: DeleteGroupResponse.self)
            #expect(offsets.kafkaGroups() == [])
            #expect(try await offsets.fetchOffsets(group: "kapp", partitions: nil) == [])
        }
    }
}
