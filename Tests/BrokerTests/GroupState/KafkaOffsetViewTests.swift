import Testing

@testable import Broker

/// Kafka offsets in the group state view and store: commits replace, deletions remove, a deleted
/// group takes its offsets along, one kind per group name, and checkpoints and reopens keep them.
@Suite("Kafka offsets in the group state")
struct KafkaOffsetViewTests {
    static let kafka = GroupDefinition(kind: .kafkaClassic, topics: [])
    static let t0 = KafkaTopicPartition(topic: "t", partition: 0)
    static let t1 = KafkaTopicPartition(topic: "t", partition: 1)

    static func entry(_ partition: KafkaTopicPartition, _ offset: Int64, _ metadata: String? = nil) -> KafkaOffsetEntry
    {
        KafkaOffsetEntry(partition, KafkaCommittedOffset(offset: offset, metadata: metadata, commitTimestamp: 1))
    }

    @Test("commits replace per partition, deletions remove, a group deletion takes the offsets along")
    func apply() {
        var view = GroupStateStore.View()
        view.apply(.groupCreated(group: "k", Self.kafka))
        view.apply(.kafkaOffsetsCommitted(group: "k", [Self.entry(Self.t0, 5), Self.entry(Self.t1, 7, "x")]))
        view.apply(.kafkaOffsetsCommitted(group: "k", [Self.entry(Self.t0, 9)]))
        #expect(view.kafkaOffsets["k"]?[Self.t0]?.offset == 9)
        #expect(view.kafkaOffsets["k"]?[Self.t1]?.metadata == "x")
        view.apply(.kafkaOffsetsDeleted(group: "k", [Self.t1, KafkaTopicPartition(topic: "other", partition: 0)]))
        #expect(view.kafkaOffsets["k"]?.keys.sorted() == [Self.t0])
        // A definition written again (a checkpoint) keeps the offsets.
        view.apply(.groupCreated(group: "k", Self.kafka))
        #expect(view.kafkaOffsets["k"]?[Self.t0]?.offset == 9)
        view.apply(.groupDeleted(group: "k"))
        #expect(view.kafkaOffsets["k"] == nil)
        #expect(view.groups["k"] == nil)
    }

    @Test("one kind per name: records of the other kind of group are refused, naming both kinds")
    func oneKindPerName() {
        var view = GroupStateStore.View()
        view.apply(.groupCreated(group: "sluice", GroupDefinition(topics: ["t"])))
        view.apply(.groupCreated(group: "k", Self.kafka))
        let sluicePartition = GroupPartitionID(group: "sluice", topic: "t", partition: 0)
        let cases: [(GroupStateRecord, String)] = [
            (.groupCreated(group: "sluice", Self.kafka), "group 'sluice' is a Sluice group, not a Kafka classic group"),
            (
                .groupCreated(group: "k", GroupDefinition(topics: ["t"])),
                "group 'k' is a Kafka classic group, not a Sluice group"
            ),
            (.kafkaOffsetsCommitted(group: "sluice", [Self.entry(Self.t0, 1)]), "is a Sluice group"),
            (.kafkaOffsetsDeleted(group: "sluice", [Self.t0]), "is a Sluice group"),
            (.kafkaOffsetsSnapshot(group: "sluice", []), "is a Sluice group"),
            (
                .partitionEvent(GroupPartitionID(group: "k", topic: "t", partition: 0), .reset(committedOffset: 0)),
                "is a Kafka classic group"
            ),
            (.kafkaOffsetsCommitted(group: "nobody", [Self.entry(Self.t0, 1)]), "group 'nobody' does not exist"),
        ]
        for (record, expected) in cases {
            let problem = view.problem(applying: [record])
            #expect(problem?.contains(expected) == true, "\(record): \(problem ?? "accepted")")
        }
        // Within one list: the name freed by a deletion takes the other kind.
        #expect(
            view.problem(applying: [.groupDeleted(group: "sluice"), .groupCreated(group: "sluice", Self.kafka)]) == nil
        )
        #expect(
            view.problem(applying: [
                .groupCreated(group: "new", Self.kafka),
                .partitionEvent(
                    GroupPartitionID(group: "new", topic: "t", partition: 0),
                    .reset(committedOffset: 0)
                ),
            ])?
            .contains("is a Kafka classic group") == true
        )
        #expect(view.problem(applying: [.partitionEvent(sluicePartition, .reset(committedOffset: 0))]) == nil)
    }

    @Test("the store refuses another kind's records and keeps Kafka offsets across a clean and a crash reopen")
    func storeReopens() throws {
        try withSimulatedGroupState { disk in
            var store = try disk.open()
            try store.append([.groupCreated(group: "s", GroupDefinition(topics: ["t"]))])
            try store.append([
                .groupCreated(group: "k", Self.kafka),
                .kafkaOffsetsCommitted(group: "k", [Self.entry(Self.t0, 3, "m")]),
            ])
            #expect(throws: BrokerError.self) {
                try store.append([.kafkaOffsetsCommitted(group: "s", [Self.entry(Self.t0, 1)])])
            }
            #expect(throws: BrokerError.self) {
                try store.append([.groupCreated(group: "k", GroupDefinition(topics: ["t"]))])
            }
            #expect(throws: BrokerError.self) { try store.append([.kafkaOffsetsSnapshot(group: "k", [])]) }
            let offset = try store.append([.kafkaOffsetsCommitted(group: "k", [Self.entry(Self.t1, 4)])])
            try store.waitUntilDurableBlocking(offset).get()
            let expected = store.currentView
            try store.close()
            store = try disk.open()
            #expect(store.currentView == expected)
            disk.processCrash()
            store = try disk.open()
            #expect(store.currentView == expected)
            #expect(
                store.currentView.kafkaOffsets["k"]?[Self.t0]
                    == KafkaCommittedOffset(offset: 3, metadata: "m", commitTimestamp: 1)
            )
        }
    }

    @Test(
        "a checkpoint writes a Kafka group's offsets in snapshots of at most 256 partitions, and the reopen reads them"
    )
    func checkpoints() throws {
        var configuration = GroupStateStore.Configuration()
        configuration.snapshotEveryEvents = 5
        try withSimulatedGroupState(configuration) { disk in
            var store = try disk.open()
            try store.append([.groupCreated(group: "k", Self.kafka)])
            let partitions = (0..<600).map { KafkaTopicPartition(topic: "t\($0 % 3)", partition: Int32($0)) }
            for chunk in stride(from: 0, to: partitions.count, by: 100) {
                try store.append([
                    .kafkaOffsetsCommitted(
                        group: "k",
                        partitions[chunk..<(chunk + 100)].map { Self.entry($0, Int64($0.partition)) }
                    )
                ])
            }
            let records = store.currentView.checkpointRecords()
            let snapshots = records.compactMap { record -> Int? in
                if case .kafkaOffsetsSnapshot(_, let entries) = record { return entries.count }
                return nil
            }
            #expect(snapshots == [256, 256, 88])
            #expect(records.allSatisfy { $0.encodingProblem() == nil })
            let offset = try store.append([.kafkaOffsetsDeleted(group: "k", [partitions[0]])])
            _ = store.waitUntilDurableBlocking(offset)
            store.waitForCompletedCheckpoints(1)
            #expect(store.currentStatistics.checkpointsCompleted >= 1)
            let expected = store.currentView
            #expect(expected.kafkaOffsets["k"]?.count == 599)
            disk.processCrash()
            store = try disk.open()
            #expect(store.currentView == expected)
            #expect(store.currentStatistics.recordsReadAtOpen < 20)
        }
    }
}
