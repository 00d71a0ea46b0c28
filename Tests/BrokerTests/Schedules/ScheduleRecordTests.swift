import BrokerProtocol
import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// The schedule log's record codec (docs/STORAGE.md, "Schedule log"): round trips of every type,
/// the bytes of one, and every truncation refused.
@Suite("Schedule log records")
struct ScheduleRecordTests {
    static let samples: [ScheduleRecord] = [
        .scheduled(
            .init(
                topic: "orders",
                partition: 3,
                scheduleID: "order-timeout:1234",
                due: 1_800_000_000_000,
                producedAt: 1_799_999_000_000,
                replaced: DueKey(due: 1_799_999_500_000, seq: 41),
                key: ByteBuffer(string: "1234"),
                value: nil,
                headers: [RecordHeader(key: "h", value: ByteBuffer(string: "v")), RecordHeader(key: "n", value: nil)],
                topicIncarnation: 0xDEAD_BEEF
            )
        ),
        .scheduled(
            .init(
                topic: "t",
                partition: 0,
                scheduleID: "x",
                due: 0,
                producedAt: -1,
                replaced: nil,
                key: nil,
                value: ByteBuffer(string: "payload"),
                headers: []
            )
        ),
        .cancelled(.init(topic: "orders", key: DueKey(due: 5, seq: 6), idHash: 7)),
        .firing(
            .init(
                topic: "orders",
                partition: 1,
                endOffset: 99,
                entries: [.init(key: DueKey(due: 1, seq: 2), idHash: 3), .init(key: DueKey(due: 4, seq: 5), idHash: 6)]
            )
        ),
        .fired(
            .init(topic: "orders", partition: 1, entries: [.init(key: DueKey(due: 1, seq: 2), idHash: 3, offset: 77)])
        ),
        .fired(
            .init(topic: "gone", partition: 0, entries: [.init(key: DueKey(due: 1, seq: 2), idHash: 3, offset: -1)])
        ),
    ]

    @Test("every record type round-trips", arguments: samples)
    func roundTrip(_ record: ScheduleRecord) throws {
        #expect(try ScheduleRecord(decoding: record.encoded()) == record)
    }

    @Test("a cancelled record's bytes")
    func cancelledBytes() {
        let bytes = Array(
            ScheduleRecord.cancelled(.init(topic: "t", key: DueKey(due: 2, seq: 1), idHash: 3)).encoded()
                .readableBytesView
        )
        #expect(
            bytes == [0, 2, 0, 1, 0x74] + [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 2] + [
                0, 0, 0, 0, 0, 0, 0, 3,
            ]
        )
    }

    @Test("every truncation, an unknown type or version, and trailing bytes are refused", arguments: samples)
    func damage(_ record: ScheduleRecord) {
        let bytes = Array(record.encoded().readableBytesView)
        for length in 0..<bytes.count {
            #expect(throws: (any Error).self) { try ScheduleRecord(decoding: ByteBuffer(bytes: bytes[..<length])) }
        }
        #expect(throws: (any Error).self) { try ScheduleRecord(decoding: ByteBuffer(bytes: bytes + [0])) }
        var version = bytes
        version[0] = 1
        #expect(throws: (any Error).self) { try ScheduleRecord(decoding: ByteBuffer(bytes: version)) }
        var type = bytes
        type[1] = 9
        #expect(throws: (any Error).self) { try ScheduleRecord(decoding: ByteBuffer(bytes: type)) }
    }
}
