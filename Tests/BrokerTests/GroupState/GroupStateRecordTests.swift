import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// The group state log's record codec: every kind round-trips, and hostile bytes are refused with
/// a clear error (never a trap, never a large allocation).
@Suite("Group state records")
struct GroupStateRecordTests {
    static let partition = GroupPartitionID(group: "orders", topic: "payments", partition: 3)

    static let state: PersistedPartitionState = {
        var state = PersistedPartitionState(committedOffset: 100, finished: [102...104, 110...110])
        state.deliveries[101] = DeliveryRecord(
            deliveryCount: 3,
            failureCount: 2,
            firstDeliveredAt: 1_700_000_000_000,
            lastDeliveredAt: 1_700_000_005_000,
            lastFailureReason: "ack timeout"
        )
        state.deliveries[105] = DeliveryRecord(
            deliveryCount: 1,
            failureCount: 0,
            firstDeliveredAt: -5,
            lastDeliveredAt: -5,
            lastFailureReason: nil
        )
        state.deliveries[120] = DeliveryRecord(
            deliveryCount: 2,
            failureCount: 1,
            firstDeliveredAt: 7,
            lastDeliveredAt: 9,
            lastFailureReason: ""
        )
        return state
    }()

    static let definition: GroupDefinition = {
        var settings = GroupSettings()
        settings.ordering = .partition
        settings.ackTimeoutMilliseconds = 12_345
        settings.maxDeliveries = 1000
        settings.maxUnfinishedPerPartition = 100_000
        settings.backoffInitialMilliseconds = 0
        settings.backoffMultiplierPercent = 1000
        settings.backoffMaxMilliseconds = 24 * 3_600_000
        return GroupDefinition(settings: settings, topics: ["payments", "refunds", "ünïcode"])
    }()

    static let examples: [GroupStateRecord] = [
        .groupCreated(group: "orders", definition),
        .groupCreated(group: "é", GroupDefinition(topics: [])),
        .groupDeleted(group: "orders"),
        .partitionEvent(partition, .delivered(offsets: [5, 6, 900], at: 1_700_000_000_000)),
        .partitionEvent(partition, .delivered(offsets: [], at: -1)),
        .partitionEvent(partition, .failed(offset: 6, reason: "nack: bad payload")),
        .partitionEvent(partition, .failed(offset: 0, reason: nil)),
        .partitionEvent(partition, .acknowledged([0...0, 5...9, 0...(Int64.max - 1)])),
        .partitionEvent(partition, .deadLettered(offset: 77)),
        .partitionEvent(partition, .reset(committedOffset: 1234)),
        .partitionEvent(partition, .redriven(upTo: 500)),
        .partitionSnapshot(partition, state),
        .partitionSnapshot(partition, PersistedPartitionState(committedOffset: 3, readLimit: 9)),
        .partitionSnapshot(partition, PersistedPartitionState(committedOffset: 0)),
        .checkpointMarker(firstOffset: 42),
    ]

    static func roundTrip(_ record: GroupStateRecord) throws -> GroupStateRecord {
        try GroupStateRecord.decode(key: record.encodedKey(), value: record.encodedValue())
    }

    @Test("every record kind round-trips", arguments: examples)
    func roundTrips(record: GroupStateRecord) throws {
        #expect(record.encodingProblem() == nil)
        #expect(try Self.roundTrip(record) == record)
    }

    @Test("records round-trip through a RecordBatch as the log stores them")
    func throughABatch() throws {
        let records = Self.examples.map {
            Record(key: $0.encodedKey(), value: $0.encodedValue(), timestamp: 1_000)
        }
        let batch = try RecordBatch(validating: RecordBatch(records: records).buffer)
        let decoded = try batch.records().map { try GroupStateRecord.decode(key: $0.key, value: $0.value) }
        #expect(decoded == Self.examples)
    }

    @Test("the bytes of a partition event are as documented in STORAGE.md")
    func documentedBytes() {
        let record = GroupStateRecord.partitionEvent(
            GroupPartitionID(group: "g", topic: "t", partition: 2),
            .failed(offset: 7, reason: "x")
        )
        let bytes = Array(record.encodedValue().readableBytesView)
        // version 2, type 3, topic "t", partition 2, event 2 (failed), offset 7, reason "x"
        #expect(
            bytes == [2, 3, 0, 1, 0x74, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1, 0x78]
        )
        #expect(Array(record.encodedKey()!.readableBytesView) == [0x67])
        let marker = GroupStateRecord.checkpointMarker(firstOffset: 258)
        #expect(Array(marker.encodedValue().readableBytesView) == [2, 5, 0, 0, 0, 0, 0, 0, 1, 2])
        #expect(marker.encodedKey() == nil)
        // A snapshot ends with its read limit (-1: none); a redriven event is type 6.
        let snapshot = GroupStateRecord.partitionSnapshot(
            GroupPartitionID(group: "g", topic: "t", partition: 0),
            PersistedPartitionState(committedOffset: 1, readLimit: 3)
        )
        #expect(
            Array(snapshot.encodedValue().readableBytesView)
                == [2, 4, 0, 1, 0x74, 0, 0, 0, 0] + be(1) + [0, 0, 0, 0, 0, 0, 0, 0] + be(3)
        )
        let redriven = GroupStateRecord.partitionEvent(
            GroupPartitionID(group: "g", topic: "t", partition: 0),
            .redriven(upTo: 5)
        )
        #expect(Array(redriven.encodedValue().readableBytesView) == [2, 3, 0, 1, 0x74, 0, 0, 0, 0, 6] + be(5))
    }

    @Test("version 1 records, written before redrive existed, are read: their snapshots have no read limit")
    func versionOneRecords() throws {
        let snapshot = [1, 4, 0, 1, 0x74, 0, 0, 0, 0] + be(1) + [0, 0, 0, 0, 0, 0, 0, 0]
        let record = try GroupStateRecord.decode(key: ByteBuffer(string: "g"), value: ByteBuffer(bytes: snapshot))
        #expect(
            record
                == .partitionSnapshot(GroupPartitionID(group: "g", topic: "t", partition: 0), .init(committedOffset: 1))
        )
        // The same bytes with a read limit are a version 2 snapshot only.
        #expect(Self.failure(snapshot + be(3))?.contains("after the end") == true)
        #expect(Self.failure([2] + snapshot.dropFirst() + be(-2))?.contains("read limit -2 is neither") == true)
        let event = try GroupStateRecord.decode(
            key: ByteBuffer(string: "g"),
            value: ByteBuffer(bytes: [1, 3, 0, 1, 0x74, 0, 0, 0, 0, 5] + be(7))
        )
        #expect(
            event == .partitionEvent(GroupPartitionID(group: "g", topic: "t", partition: 0), .reset(committedOffset: 7))
        )
    }

    /// Decodes `value` (with the key "g") and returns the error message, or `nil` if it decoded.
    static func failure(_ value: [UInt8], key: String? = "g") -> String? {
        do {
            _ = try GroupStateRecord.decode(key: key.map { ByteBuffer(string: $0) }, value: ByteBuffer(bytes: value))
            return nil
        } catch let error as BrokerError {
            #expect(error.code == .storageError)
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("every truncation of every record kind is refused with a clear error")
    func truncations() {
        for record in Self.examples {
            let bytes = Array(record.encodedValue().readableBytesView)
            for length in 0..<bytes.count {
                let message = Self.failure(Array(bytes[..<length]), key: record.group)
                #expect(message != nil, "\(record) cut at \(length) decoded")
                if length > 2 {
                    #expect(message?.contains("byte") == true, "\(message ?? "")")
                }
            }
            // And a byte too many.
            #expect(Self.failure(bytes + [0], key: record.group)?.contains("after the end") == true)
        }
    }

    @Test("hostile values are refused, naming what is wrong")
    func hostileValues() {
        let cases: [(bytes: [UInt8], key: String?, expected: String)] = [
            ([], "g", "truncated"),
            ([4, 1], "g", "unknown group state record version 4"),
            ([1, 9], "g", "unknown group state record type 9"),
            ([1, 2], nil, "has no key"),
            ([1, 5, 0, 0, 0, 0, 0, 0, 0, 1], "g", "checkpoint marker has a key"),
            ([1, 5, 0xFF, 0, 0, 0, 0, 0, 0, 1], nil, "is negative"),
            // A delivered event claiming 2^32 - 1 offsets in a few bytes: refused before allocating.
            (
                [1, 3, 0, 1, 0x74, 0, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 8) + [0xFF, 0xFF, 0xFF, 0xFF], "g",
                "offset count 4294967295 needs at least"
            ),
            // An acknowledged range claiming 2^31 ranges.
            ([1, 3, 0, 1, 0x74, 0, 0, 0, 0, 3, 0x80, 0, 0, 0], "g", "range count 2147483648 needs at least"),
            // A reversed range.
            ([1, 3, 0, 1, 0x74, 0, 0, 0, 0, 3, 0, 0, 0, 1] + be(9) + be(3), "g", "is reversed"),
            // Int64.max as an offset (its successor would overflow).
            ([1, 3, 0, 1, 0x74, 0, 0, 0, 0, 4] + be(Int64.max), "g", "is outside"),
            ([1, 3, 0, 1, 0x74, 0xFF, 0xFF, 0xFF, 0xFF, 4] + be(1), "g", "partition -1 is negative"),
            ([1, 3, 0, 1, 0x74, 0, 0, 0, 0, 9], "g", "unknown event type 9"),
            // A topic name longer than the bytes left.
            ([1, 3, 0xFF, 0xFF, 0x74], "g", "topic of 65535 bytes, 1 left"),
            // A topic name that is not UTF-8.
            ([1, 3, 0, 1, 0xFF, 0, 0, 0, 0, 4] + be(1), "g", "not valid UTF-8"),
            // A failure reason with a negative length, and one over the limit.
            ([1, 3, 0, 1, 0x74, 0, 0, 0, 0, 2] + be(1) + [0xFF, 0xFF, 0xFF, 0xFE], "g", "is negative"),
            ([1, 3, 0, 1, 0x74, 0, 0, 0, 0, 2] + be(1) + [0, 0, 0x10, 0x01], "g", "over the 4096-byte limit"),
            // Group created: unknown kind, unknown ordering, a setting out of range.
            ([1, 1, 7], "g", "unknown group kind 7"),
            ([1, 1, 0, 3], "g", "unknown ordering mode 3"),
            (
                [1, 1, 0, 0] + be(Int64(50)) + [0, 0, 0, 5, 0, 0, 0, 5] + be(Int64(0)) + [0, 0, 0, 200] + be(Int64(0)),
                "g", "ackTimeout out of range"
            ),
        ]
        for (bytes, key, expected) in cases {
            let message = Self.failure(bytes, key: key)
            #expect(message?.contains(expected) == true, "\(bytes): \(message ?? "decoded")")
        }
        // A key that is not UTF-8.
        do {
            _ = try GroupStateRecord.decode(key: ByteBuffer(bytes: [0xC3]), value: ByteBuffer(bytes: [1, 2]))
            Issue.record("a non-UTF-8 key decoded")
        } catch {
            #expect("\(error)".contains("not UTF-8"))
        }
        #expect(throws: BrokerError.self) { try GroupStateRecord.decode(key: nil, value: nil) }
    }

    @Test("snapshots that break PersistedPartitionState's rules are refused")
    func hostileSnapshots() {
        func snapshot(committed: Int64, ranges: [(Int64, Int64)], deliveries: [Int64]) -> [UInt8] {
            var bytes: [UInt8] = [1, 4, 0, 1, 0x74, 0, 0, 0, 0] + be(committed)
            bytes += be32(UInt32(ranges.count))
            for (lower, upper) in ranges { bytes += be(lower) + be(upper) }
            bytes += be32(UInt32(deliveries.count))
            for offset in deliveries {
                bytes +=
                    be(offset) + [0, 0, 0, 1, 0, 0, 0, 0] + be(Int64(1)) + be(Int64(1)) + [0xFF, 0xFF, 0xFF, 0xFF]
            }
            return bytes
        }
        #expect(Self.failure(snapshot(committed: 10, ranges: [(12, 13), (15, 15)], deliveries: [11, 14])) == nil)
        let cases: [([UInt8], String)] = [
            (snapshot(committed: 10, ranges: [(10, 12)], deliveries: []), "out of order or touches"),
            (snapshot(committed: 10, ranges: [(12, 13), (14, 15)], deliveries: []), "out of order or touches"),
            (snapshot(committed: 10, ranges: [(15, 16), (12, 13)], deliveries: []), "out of order or touches"),
            (snapshot(committed: 10, ranges: [], deliveries: [12, 11]), "out of order"),
            (snapshot(committed: 10, ranges: [], deliveries: [12, 12]), "out of order"),
            (snapshot(committed: 10, ranges: [(12, 13)], deliveries: [13]), "is finished"),
            (snapshot(committed: 10, ranges: [], deliveries: [9]), "is finished"),
        ]
        for (bytes, expected) in cases {
            let message = Self.failure(bytes)
            #expect(message?.contains(expected) == true, "\(message ?? "decoded")")
        }
        // A delivery count claiming more entries than the bytes left.
        var bytes = snapshot(committed: 10, ranges: [], deliveries: [])
        bytes.replaceSubrange((bytes.count - 4)..., with: [0, 0, 0, 2])
        #expect(Self.failure(bytes)?.contains("delivery count 2 needs at least 72 bytes, 0 left") == true)
    }

    @Test("random bytes never trap and either decode to a record that re-encodes the same or throw")
    func randomBytes() {
        var random = SeededGenerator(seed: 7)
        for round in 0..<20_000 {
            let base = Array(Self.examples.randomElement(using: &random)!.encodedValue().readableBytesView)
            var bytes = base
            for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            let key: ByteBuffer? = bytes.count > 1 && bytes[1] == 5 ? nil : ByteBuffer(string: "g")
            if let record = try? GroupStateRecord.decode(key: key, value: ByteBuffer(bytes: bytes)) {
                if bytes[0] == GroupStateRecord.version {
                    #expect(Array(record.encodedValue().readableBytesView) == bytes, "round \(round)")
                } else {
                    // A version 1 record is written again as the current version: same meaning.
                    let again = try? GroupStateRecord.decode(key: key, value: record.encodedValue())
                    #expect(again == record, "round \(round)")
                }
            }
        }
    }

    @Test("the store's limits: names, reasons, settings and offsets that would not round-trip are refused")
    func encodingProblems() {
        let long = String(repeating: "r", count: GroupStateRecord.maxReasonBytes + 1)
        #expect(
            GroupStateRecord.partitionEvent(Self.partition, .failed(offset: 1, reason: long)).encodingProblem()?
                .contains("4096-byte limit") == true
        )
        #expect(
            GroupStateRecord.partitionEvent(
                Self.partition,
                .failed(offset: 1, reason: String(repeating: "r", count: GroupStateRecord.maxReasonBytes))
            ).encodingProblem() == nil
        )
        var settings = GroupSettings()
        settings.maxDeliveries = 0
        #expect(
            GroupStateRecord.groupCreated(group: "g", GroupDefinition(settings: settings, topics: [])).encodingProblem()
                != nil
        )
        #expect(
            GroupStateRecord.groupDeleted(group: String(repeating: "g", count: 70_000)).encodingProblem() != nil
        )
        for event: GroupStateEvent in [
            .delivered(offsets: [-1], at: 0), .acknowledged([0...Int64.max]), .reset(committedOffset: -3),
            .deadLettered(offset: Int64.max),
        ] {
            #expect(GroupStateRecord.partitionEvent(Self.partition, event).encodingProblem() != nil, "\(event)")
        }
    }
}

private func be(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
private func be32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
