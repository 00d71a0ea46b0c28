import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// The Kafka classic groups' records of the group state log (types 6-8, version 3): every kind
/// round-trips, the bytes are as documented in GROUPS.md, and truncated or hostile bytes are
/// refused with a clear error.
@Suite("Kafka offset records")
struct KafkaOffsetRecordTests {
    static let payments = KafkaTopicPartition(topic: "payments", partition: 3)
    static let entries: [KafkaOffsetEntry] = [
        KafkaOffsetEntry(
            KafkaTopicPartition(topic: "orders", partition: 0),
            KafkaCommittedOffset(offset: 0, leaderEpoch: -1, metadata: nil, commitTimestamp: 1_700_000_000_000)
        ),
        KafkaOffsetEntry(
            payments,
            KafkaCommittedOffset(offset: Int64.max - 1, leaderEpoch: Int32.max, metadata: "", commitTimestamp: -1)
        ),
        KafkaOffsetEntry(
            KafkaTopicPartition(topic: "ünïcode", partition: Int32.max),
            KafkaCommittedOffset(
                offset: 42,
                leaderEpoch: 7,
                metadata: String(repeating: "é", count: GroupStateRecord.maxKafkaMetadataBytes / 2),
                commitTimestamp: 5
            )
        ),
    ]

    static let examples: [GroupStateRecord] = [
        .groupCreated(group: "kafka-app", GroupDefinition(kind: .kafkaClassic, topics: [])),
        .kafkaOffsetsCommitted(group: "kafka-app", entries),
        .kafkaOffsetsCommitted(group: "kafka-app", []),
        .kafkaOffsetsDeleted(group: "kafka-app", [payments, KafkaTopicPartition(topic: "", partition: 0)]),
        .kafkaOffsetsDeleted(group: "kafka-app", []),
        .kafkaOffsetsSnapshot(group: "kafka-app", entries),
        .kafkaOffsetsSnapshot(group: "kafka-app", []),
    ]

    @Test("every Kafka record kind round-trips, also through a RecordBatch", arguments: examples)
    func roundTrips(record: GroupStateRecord) throws {
        #expect(record.encodingProblem() == nil)
        #expect(try GroupStateRecordTests.roundTrip(record) == record)
        let batch = try RecordBatch(
            validating: RecordBatch(records: [
                Record(key: record.encodedKey(), value: record.encodedValue(), timestamp: 1)
            ])
            .buffer
        )
        #expect(try batch.records().map { try GroupStateRecord.decode(key: $0.key, value: $0.value) } == [record])
    }

    @Test("the bytes of a commit, a deletion and a Kafka group's creation are as documented in GROUPS.md")
    func documentedBytes() {
        let commit = GroupStateRecord.kafkaOffsetsCommitted(
            group: "g",
            [
                KafkaOffsetEntry(
                    KafkaTopicPartition(topic: "t", partition: 2),
                    .init(offset: 7, leaderEpoch: 1, metadata: "m", commitTimestamp: 9)
                )
            ]
        )
        // version 3, type 6, 1 entry: topic "t", partition 2, offset 7, epoch 1, time 9, metadata "m".
        #expect(
            Array(commit.encodedValue().readableBytesView)
                == [3, 6, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2] + be(7) + [0, 0, 0, 1] + be(9) + [0, 0, 0, 1, 0x6D]
        )
        #expect(Array(commit.encodedKey()!.readableBytesView) == [0x67])
        let deleted = GroupStateRecord.kafkaOffsetsDeleted(group: "g", [KafkaTopicPartition(topic: "t", partition: 1)])
        #expect(Array(deleted.encodedValue().readableBytesView) == [3, 7, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1])
        let snapshot = GroupStateRecord.kafkaOffsetsSnapshot(
            group: "g",
            [KafkaOffsetEntry(KafkaTopicPartition(topic: "t", partition: 0), .init(offset: 1, commitTimestamp: 0))]
        )
        #expect(
            Array(snapshot.encodedValue().readableBytesView)
                == [3, 8, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0] + be(1) + [0xFF, 0xFF, 0xFF, 0xFF] + be(0)
                + [0xFF, 0xFF, 0xFF, 0xFF]
        )
        // A Kafka group's creation is a version 2 type 1 record of kind 1.
        let created = GroupStateRecord.groupCreated(group: "g", GroupDefinition(kind: .kafkaClassic, topics: []))
        #expect(Array(created.encodedValue().readableBytesView.prefix(3)) == [2, 1, 1])
    }

    @Test("every truncation of every Kafka record is refused with a clear error, and a byte too many")
    func truncations() {
        for record in Self.examples {
            let bytes = Array(record.encodedValue().readableBytesView)
            for length in 0..<bytes.count {
                let message = GroupStateRecordTests.failure(Array(bytes[..<length]), key: record.group)
                #expect(message != nil, "\(record) cut at \(length) decoded")
                if length > 2 { #expect(message?.contains("byte") == true, "\(message ?? "")") }
            }
            #expect(GroupStateRecordTests.failure(bytes + [0], key: record.group)?.contains("after the end") == true)
        }
    }

    @Test("hostile Kafka records are refused, naming what is wrong")
    func hostileValues() {
        let entry: [UInt8] =
            [0, 1, 0x74, 0, 0, 0, 0] + be(5) + [0xFF, 0xFF, 0xFF, 0xFF] + be(0) + [0xFF, 0xFF, 0xFF, 0xFF]
        let cases: [(bytes: [UInt8], expected: String)] = [
            // Kafka types need version 3.
            ([2, 6, 0, 0, 0, 0], "type 6 needs version 3, not 2"),
            ([1, 7, 0, 0, 0, 0], "type 7 needs version 3, not 1"),
            ([2, 8, 0, 0, 0, 0], "type 8 needs version 3, not 2"),
            ([3, 9], "unknown group state record type 9"),
            // A count claiming more entries than the bytes hold: refused before allocating.
            ([3, 6, 0xFF, 0xFF, 0xFF, 0xFF], "entry count 4294967295 needs at least"),
            ([3, 7, 0x80, 0, 0, 0], "partition count 2147483648 needs at least"),
            (
                [3, 6, 0, 0, 0, 1] + [0, 1, 0x74, 0xFF, 0xFF, 0xFF, 0xFF] + be(5) + [0, 0, 0, 0] + be(0) + [
                    0, 0, 0, 0,
                ], "partition -1 is negative"
            ),
            ([3, 7, 0, 0, 0, 1, 0, 1, 0x74, 0xFF, 0xFF, 0xFF, 0xFE], "partition -2 is negative"),
            (
                [3, 6, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0] + be(Int64.max) + [0, 0, 0, 0] + be(0) + [0, 0, 0, 0],
                "is outside"
            ),
            (
                [3, 6, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0] + be(-1) + [0, 0, 0, 0] + be(0) + [0, 0, 0, 0], "is outside"
            ),
            (
                [3, 6, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0] + be(1) + [0xFF, 0xFF, 0xFF, 0xFE] + be(0) + [0, 0, 0, 0],
                "leader epoch -2 is below -1"
            ),
            // Metadata: a negative length other than -1, one over the format's bound, one past the end, not UTF-8.
            (
                [3, 6, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0] + be(1) + [0, 0, 0, 0] + be(0) + [0xFF, 0xFF, 0xFF, 0xFE],
                "is negative"
            ),
            (
                [3, 6, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0] + be(1) + [0, 0, 0, 0] + be(0) + [0, 0, 0x80, 0x01],
                "over the 32768-byte limit"
            ),
            (
                [3, 6, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0] + be(1) + [0, 0, 0, 0] + be(0) + [0, 0, 0, 9, 0x41],
                "9 bytes, 1 left"
            ),
            (
                [3, 6, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 0] + be(1) + [0, 0, 0, 0] + be(0) + [0, 0, 0, 1, 0xFF],
                "not valid UTF-8"
            ),
            // A snapshot's entries out of order, or repeated.
            ([3, 8, 0, 0, 0, 2] + entry + entry, "out of order or repeated"),
            ([3, 8, 0, 0, 0, 2] + [0, 1, 0x75] + entry.dropFirst(3) + entry, "out of order or repeated"),
            // Group kinds other than 0 and 1.
            ([2, 1, 2], "unknown group kind 2"),
        ]
        for (bytes, expected) in cases {
            let message = GroupStateRecordTests.failure(bytes)
            #expect(message?.contains(expected) == true, "\(bytes): \(message ?? "decoded")")
        }
        // The same two entries in order, and repeated in a commit (the last wins), decode.
        #expect(GroupStateRecordTests.failure([3, 8, 0, 0, 0, 2] + entry + [0, 1, 0x75] + entry.dropFirst(3)) == nil)
        #expect(GroupStateRecordTests.failure([3, 6, 0, 0, 0, 2] + entry + entry) == nil)
        // A Kafka record without a key.
        #expect(GroupStateRecordTests.failure([3, 7, 0, 0, 0, 0], key: nil)?.contains("has no key") == true)
    }

    @Test("random bytes in Kafka records never trap, and what decodes re-encodes the same")
    func randomBytes() {
        var random = SeededGenerator(seed: 11)
        for round in 0..<20_000 {
            var bytes = Array(Self.examples.randomElement(using: &random)!.encodedValue().readableBytesView)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<min(bytes.count, 64), using: &random)] = UInt8.random(
                    in: 0...255,
                    using: &random
                )
            }
            let key: ByteBuffer? = bytes[1] == 5 ? nil : ByteBuffer(string: "g")
            // Records are re-encoded in the version written for their type (3 for 6-8, 2 for 1-5).
            if let record = try? GroupStateRecord.decode(key: key, value: ByteBuffer(bytes: bytes)),
                bytes[0] == ((6...8).contains(bytes[1]) ? 3 : 2)
            {
                #expect(Array(record.encodedValue().readableBytesView) == bytes, "round \(round)")
            }
        }
    }

    @Test("records the format cannot hold are refused before they are written")
    func encodingProblems() {
        let at = KafkaTopicPartition(topic: "t", partition: 0)
        func problem(_ committed: KafkaCommittedOffset, _ partition: KafkaTopicPartition = at) -> String? {
            GroupStateRecord.kafkaOffsetsCommitted(group: "g", [KafkaOffsetEntry(partition, committed)])
                .encodingProblem()
        }
        let limit = GroupStateRecord.maxKafkaMetadataBytes
        #expect(problem(.init(offset: 1, metadata: String(repeating: "m", count: limit), commitTimestamp: 0)) == nil)
        #expect(
            problem(.init(offset: 1, metadata: String(repeating: "m", count: limit + 1), commitTimestamp: 0))?
                .contains("32768-byte limit") == true
        )
        #expect(problem(.init(offset: -1, commitTimestamp: 0))?.contains("is outside") == true)
        #expect(problem(.init(offset: Int64.max, commitTimestamp: 0))?.contains("is outside") == true)
        #expect(problem(.init(offset: 0, leaderEpoch: -2, commitTimestamp: 0))?.contains("below -1") == true)
        #expect(
            problem(.init(offset: 0, commitTimestamp: 0), KafkaTopicPartition(topic: "t", partition: -1))?
                .contains("negative") == true
        )
        let longTopic = KafkaTopicPartition(topic: String(repeating: "t", count: 65_536), partition: 0)
        #expect(
            GroupStateRecord.kafkaOffsetsDeleted(group: "g", [longTopic]).encodingProblem()?.contains("topic name")
                == true
        )
    }
}

private func be(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
