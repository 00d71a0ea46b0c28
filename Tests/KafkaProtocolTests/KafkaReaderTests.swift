import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaReaderTests {
    static let unsignedVarints: [(UInt32, [UInt8])] = [
        (0, [0x00]),
        (1, [0x01]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (300, [0xAC, 0x02]),
        (16_383, [0xFF, 0x7F]),
        (16_384, [0x80, 0x80, 0x01]),
        (UInt32.max, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    static let zigzagVarints: [(Int32, [UInt8])] = [
        (0, [0x00]),
        (-1, [0x01]),
        (1, [0x02]),
        (-2, [0x03]),
        (63, [0x7E]),
        (-64, [0x7F]),
        (64, [0x80, 0x01]),
        (Int32.max, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),
        (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
    ]

    @Test func fixedWidthIntegersAreBigEndian() throws {
        var reader = KafkaReader(
            buffer([0xFF, 0x01, 0x02, 0x00, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0xAB, 0xCD, 0x01])
        )
        #expect(try reader.readInt8("a") == -1)
        #expect(try reader.readInt16("b") == 0x0102)
        #expect(try reader.readInt32("c") == 0x100)
        #expect(try reader.readInt64("d") == 0x0102)
        #expect(try reader.readUInt16("e") == 0xABCD)
        #expect(try reader.readBoolean("f"))
        #expect(reader.isAtEnd)
        let error = decodingError([0x00, 0x01, 0x02]) { try $0.readInt32("Message.Field") }
        #expect(error?.code == .truncated)
        #expect(error?.field == "Message.Field")
        #expect(error?.description.contains("needs 4 bytes, 3 left") == true)
    }

    @Test(arguments: KafkaReaderTests.unsignedVarints)
    func unsignedVarintBytes(value: UInt32, expected: [UInt8]) throws {
        var written = ByteBuffer()
        written.writeKafkaUnsignedVarint(value)
        #expect(bytes(written) == expected)
        var reader = KafkaReader(written)
        #expect(try reader.readUnsignedVarint("v") == value)
        #expect(reader.isAtEnd)
    }

    @Test(arguments: KafkaReaderTests.zigzagVarints)
    func zigzagVarintBytes(value: Int32, expected: [UInt8]) throws {
        var written = ByteBuffer()
        written.writeKafkaVarint(value)
        #expect(bytes(written) == expected)
        var reader = KafkaReader(written)
        #expect(try reader.readVarint("v") == value)
    }

    @Test(arguments: [Int64(0), -1, 1, Int64(Int32.max) + 1, Int64.max, Int64.min, -1_234_567_890_123])
    func varlongRoundTrips(value: Int64) throws {
        var written = ByteBuffer()
        written.writeKafkaVarlong(value)
        #expect(written.readableBytes <= 10)
        var reader = KafkaReader(written)
        #expect(try reader.readVarlong("v") == value)
        #expect(reader.isAtEnd)
    }

    @Test func overlongVarintsAreRejected() {
        // A fifth byte carrying bits above 32.
        #expect(
            decodingError([0xFF, 0xFF, 0xFF, 0xFF, 0x1F]) { try $0.readUnsignedVarint("v") }?.code == .malformedVarint
        )
        // Six bytes, all with the continuation bit.
        #expect(
            decodingError([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) { try $0.readVarint("v") }?.code == .malformedVarint
        )
        // Eleven varlong bytes.
        #expect(
            decodingError([UInt8](repeating: 0x80, count: 10) + [0x01]) { try $0.readVarlong("v") }?.code
                == .malformedVarint
        )
        // The bytes end inside it.
        #expect(decodingError([0x80, 0x80]) { try $0.readUnsignedVarint("v") }?.code == .truncated)
    }

    @Test func uuidIsSixteenBytes() throws {
        let uuid = KafkaUUID(mostSignificantBits: 0x0123_4567_89AB_CDEF, leastSignificantBits: 0xFEDC_BA98_7654_3210)
        var written = ByteBuffer()
        written.writeKafkaUUID(uuid)
        #expect(
            bytes(written) == [
                0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10,
            ]
        )
        var reader = KafkaReader(written)
        #expect(try reader.readUUID("u") == uuid)
        #expect(uuid.description == "01234567-89ab-cdef-fedc-ba9876543210")
        #expect(KafkaUUID.zero.description == "00000000-0000-0000-0000-000000000000")
        #expect(
            decodingError([UInt8](repeating: 0, count: 15)) { try $0.readUUID("Message.TopicId") }?.code == .truncated
        )
    }

    @Test func checkedLengthsAreNamedErrors() {
        let negative = decodingError([]) { try $0.checkLength("F", -1) }
        #expect(negative?.code == .invalidLength)
        let long = decodingError([1, 2]) { try $0.readSlice("F", length: 3) }
        #expect(long?.code == .invalidLength)
        #expect(long?.message == "length 3 is more than the 2 bytes left")
    }
}
