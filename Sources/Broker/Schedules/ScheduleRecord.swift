import BrokerProtocol
import NIOCore
import RecordCodec

/// One change in the schedule log (`__schedules/log/0`), stored as the value of one record (key
/// null). The bytes are in docs/STORAGE.md, "Schedule log"; everything a start-up needs to rebuild
/// the in-memory tables is in the records themselves, so a replay never looks anything up.
///
/// ```
/// version       uint8    0
/// type          uint8    1 scheduled, 2 cancelled, 3 firing, 4 fired
/// scheduled:    topic string, partition int32, scheduleId string, due int64, producedAt int64,
///               replacedSeq int64 (-1: none), replacedDue int64, topicIncarnation uint64,
///               key nullable bytes, value nullable bytes, headers array<{key string, value nullable bytes}>
/// cancelled:    topic string, seq int64, due int64, idHash uint64
/// firing:       topic string, partition int32, endOffset int64, entries array<{seq int64, due int64, idHash uint64}>
/// fired:        topic string, partition int32, entries array<{seq int64, due int64, idHash uint64, offset int64}>
/// ```
enum ScheduleRecord: Hashable, Sendable {
    case scheduled(Scheduled)
    case cancelled(Cancelled)
    case firing(Firing)
    case fired(Fired)

    /// A schedule taken: its message waits in this record until it fires. Its seq is the record's
    /// offset in the schedule log.
    struct Scheduled: Hashable, Sendable {
        var topic: String
        var partition: Int32
        var scheduleID: String
        var due: Int64
        var producedAt: Int64
        /// The pending schedule of the same id this one replaces (reschedule), if any.
        var replaced: DueKey?
        var key: ByteBuffer?
        var value: ByteBuffer?
        var headers: [RecordHeader]
        /// The topic's incarnation when the schedule was taken (0: unknown).
        var topicIncarnation: UInt64 = 0

        var idHash: UInt64 { ScheduleIDHash.of(topic: topic, id: scheduleID) }

        /// Whether it was taken for an earlier topic of the same name (deleted since).
        func predates(_ topic: Topic) -> Bool {
            topicIncarnation != (topic.settings.incarnation ?? 0)
        }
    }

    /// A pending schedule cancelled.
    struct Cancelled: Hashable, Sendable {
        var topic: String
        var key: DueKey
        var idHash: UInt64
    }

    /// One schedule of a firing or fired record.
    struct FireEntry: Hashable, Sendable {
        var key: DueKey
        var idHash: UInt64
        /// The offset the message got in its partition (fired only); -1: it was dropped because its
        /// topic or partition no longer exists.
        var offset: Int64 = -1
    }

    /// Schedules about to be appended to `partition`, whose end offset was `endOffset` before.
    struct Firing: Hashable, Sendable {
        var topic: String
        var partition: Int32
        var endOffset: Int64
        var entries: [FireEntry]
    }

    /// Schedules appended (or dropped).
    struct Fired: Hashable, Sendable {
        var topic: String
        var partition: Int32
        var entries: [FireEntry]
    }

    static let version: UInt8 = 0

    /// The record's bytes (the log record's value).
    func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Self.version)
        switch self {
        case .scheduled(let scheduled):
            buffer.writeInteger(UInt8(1))
            buffer.writeWireString(scheduled.topic)
            buffer.writeInteger(scheduled.partition)
            buffer.writeWireString(scheduled.scheduleID)
            buffer.writeInteger(scheduled.due)
            buffer.writeInteger(scheduled.producedAt)
            buffer.writeInteger(scheduled.replaced?.seq ?? -1)
            buffer.writeInteger(scheduled.replaced?.due ?? -1)
            buffer.writeInteger(scheduled.topicIncarnation)
            buffer.writeWireBytes(scheduled.key)
            buffer.writeWireBytes(scheduled.value)
            buffer.writeWireArray(scheduled.headers) { buffer, header in
                buffer.writeWireString(header.key)
                buffer.writeWireBytes(header.value)
            }
        case .cancelled(let cancelled):
            buffer.writeInteger(UInt8(2))
            buffer.writeWireString(cancelled.topic)
            Self.write(cancelled.key, cancelled.idHash, into: &buffer)
        case .firing(let firing):
            buffer.writeInteger(UInt8(3))
            buffer.writeWireString(firing.topic)
            buffer.writeInteger(firing.partition)
            buffer.writeInteger(firing.endOffset)
            buffer.writeWireArray(firing.entries) { buffer, entry in Self.write(entry.key, entry.idHash, into: &buffer)
            }
        case .fired(let fired):
            buffer.writeInteger(UInt8(4))
            buffer.writeWireString(fired.topic)
            buffer.writeInteger(fired.partition)
            buffer.writeWireArray(fired.entries) { buffer, entry in
                Self.write(entry.key, entry.idHash, into: &buffer)
                buffer.writeInteger(entry.offset)
            }
        }
        return buffer
    }

    /// Decodes a record's value.
    /// - Throws: `ProtocolError` naming the field when the bytes are short, unknown or left over.
    init(decoding value: ByteBuffer) throws {
        var buffer = value
        let version = try buffer.readWire(UInt8.self, "version")
        guard version == Self.version else {
            throw ProtocolError(.malformedRequest, "schedule record version \(version) is not \(Self.version)")
        }
        let type = try buffer.readWire(UInt8.self, "type")
        switch type {
        case 1:
            let topic = try buffer.readWireString("topic")
            let partition = try buffer.readWire(Int32.self, "partition")
            let scheduleID = try buffer.readWireString("scheduleId")
            let due = try buffer.readWire(Int64.self, "due")
            let producedAt = try buffer.readWire(Int64.self, "producedAt")
            let replacedSeq = try buffer.readWire(Int64.self, "replacedSeq")
            let replacedDue = try buffer.readWire(Int64.self, "replacedDue")
            let topicIncarnation = try buffer.readWire(UInt64.self, "topicIncarnation")
            let key = try buffer.readWireBytes("key")
            let value = try buffer.readWireBytes("value")
            let headers = try buffer.readWireArray("headers", minimumElementBytes: 6) { buffer in
                RecordHeader(
                    key: try buffer.readWireString("header key"),
                    value: try buffer.readWireBytes("header value")
                )
            }
            self = .scheduled(
                Scheduled(
                    topic: topic,
                    partition: partition,
                    scheduleID: scheduleID,
                    due: due,
                    producedAt: producedAt,
                    replaced: replacedSeq >= 0 ? DueKey(due: replacedDue, seq: replacedSeq) : nil,
                    key: key,
                    value: value,
                    headers: headers,
                    topicIncarnation: topicIncarnation
                )
            )
        case 2:
            let topic = try buffer.readWireString("topic")
            let (key, idHash) = try Self.readKeyAndHash(&buffer)
            self = .cancelled(Cancelled(topic: topic, key: key, idHash: idHash))
        case 3:
            let topic = try buffer.readWireString("topic")
            let partition = try buffer.readWire(Int32.self, "partition")
            let endOffset = try buffer.readWire(Int64.self, "endOffset")
            let entries = try buffer.readWireArray("entries", minimumElementBytes: 24) { buffer in
                let (key, idHash) = try Self.readKeyAndHash(&buffer)
                return FireEntry(key: key, idHash: idHash)
            }
            self = .firing(Firing(topic: topic, partition: partition, endOffset: endOffset, entries: entries))
        case 4:
            let topic = try buffer.readWireString("topic")
            let partition = try buffer.readWire(Int32.self, "partition")
            let entries = try buffer.readWireArray("entries", minimumElementBytes: 32) { buffer in
                let (key, idHash) = try Self.readKeyAndHash(&buffer)
                return FireEntry(key: key, idHash: idHash, offset: try buffer.readWire(Int64.self, "offset"))
            }
            self = .fired(Fired(topic: topic, partition: partition, entries: entries))
        default:
            throw ProtocolError(.malformedRequest, "schedule record type \(type) is unknown")
        }
        try buffer.expectFullyRead("schedule record")
    }

    /// `seq` int64, `due` int64, `idHash` uint64: how cancelled, firing and fired name a schedule.
    private static func write(_ key: DueKey, _ idHash: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeInteger(key.seq)
        buffer.writeInteger(key.due)
        buffer.writeInteger(idHash)
    }

    private static func readKeyAndHash(_ buffer: inout ByteBuffer) throws -> (DueKey, UInt64) {
        let seq = try buffer.readWire(Int64.self, "seq")
        let due = try buffer.readWire(Int64.self, "due")
        return (DueKey(due: due, seq: seq), try buffer.readWire(UInt64.self, "idHash"))
    }
}

/// The 64-bit hash under which a schedule id is indexed: FNV-1a of `topic`, a zero byte and the id,
/// finished with SplitMix64's mixer so that every bit depends on every input bit (the Bloom filters
/// take their probes from it). Stable across processes. Two ids with the same hash are told apart
/// by reading their `scheduled` records.
enum ScheduleIDHash {
    static func of(topic: String, id: String) -> UInt64 {
        var bytes = Array(topic.utf8)
        bytes.append(0)
        bytes.append(contentsOf: id.utf8)
        return mix(KeyHash.of(bytes))
    }

    /// A 32-bit tag of a topic name, kept in due entries so that a listing skips other topics'
    /// entries without reading their records.
    static func tag(topic: String) -> UInt32 {
        UInt32(truncatingIfNeeded: mix(KeyHash.of(topic.utf8)) >> 32)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
