import BrokerProtocol
import NIOCore
import Testing

/// The `offsetsLost` fetch answer: its lost range travels in the partition's `records` bytes as
/// `firstLostOffset int64, nextOffset int64` (docs/PROTOCOL.md, fetch).
@Suite("FetchResponse offsetsLost")
struct FetchLostOffsetsCodingTests {
    static let answer = FetchResponse(topics: [
        .init(
            topic: "t",
            partitions: [
                .init(partition: 2, lostOffsets: 120..<250, errorMessage: nil, logStartOffset: 0, logEndOffset: 300)
            ]
        )
    ])

    @Test("the lost range is encoded byte for byte in records and decoded back")
    func roundTrip() throws {
        var buffer = ByteBuffer()
        Self.answer.encode(into: &buffer)
        let expected: [UInt8] =
            [0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 2, 0, 23, 0xFF, 0xFF]
            + [0, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0x01, 0x2C]
            + [0, 0, 0, 16] + [0, 0, 0, 0, 0, 0, 0, 120] + [0, 0, 0, 0, 0, 0, 0, 250]
        #expect(Array(buffer.readableBytesView) == expected)
        let decoded = try FetchResponse(decoding: &buffer)
        #expect(decoded == Self.answer)
        let partition = try #require(decoded.topics.first?.partitions.first)
        #expect(partition.errorCode == .offsetsLost)
        #expect(partition.lostOffsets == 120..<250)
        #expect(partition.records.readableBytes == 0)
    }

    @Test("an offsetsLost answer without a valid 16-byte range does not decode", arguments: [0, 8, 15, 17])
    func malformedRange(size: Int) throws {
        var records = ByteBuffer()
        records.writeRepeatingByte(0, count: size)
        let answer = FetchResponse(topics: [
            .init(
                topic: "t",
                partitions: [
                    .init(partition: 0, errorCode: .offsetsLost, logStartOffset: 0, logEndOffset: 1, records: records)
                ]
            )
        ])
        var buffer = ByteBuffer()
        answer.encode(into: &buffer)
        #expect(throws: ProtocolError.self) { _ = try FetchResponse(decoding: &buffer) }
    }

    @Test("an empty or backwards range does not decode")
    func backwardsRange() throws {
        for (first, next) in [(5, 5), (9, 4)] as [(Int64, Int64)] {
            var records = ByteBuffer()
            records.writeInteger(first)
            records.writeInteger(next)
            let answer = FetchResponse(topics: [
                .init(
                    topic: "t",
                    partitions: [
                        .init(
                            partition: 0,
                            errorCode: .offsetsLost,
                            logStartOffset: 0,
                            logEndOffset: 1,
                            records: records
                        )
                    ]
                )
            ])
            var buffer = ByteBuffer()
            answer.encode(into: &buffer)
            #expect(throws: ProtocolError.self, "\(first)..<\(next)") { _ = try FetchResponse(decoding: &buffer) }
        }
    }
}
