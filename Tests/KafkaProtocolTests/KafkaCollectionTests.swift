import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaCollectionTests {
    @Test(arguments: [false, true])
    func arraysRoundTrip(flexible: Bool) throws {
        var written = ByteBuffer()
        written.writeKafkaInt32Array([1, -2, 3], flexible: flexible)
        written.writeKafkaInt64Array([], flexible: flexible)
        written.writeKafkaStringArray(["a", "bc"], flexible: flexible)
        written.writeKafkaNullableArray([String]?.none, flexible: flexible) { $0.writeKafkaString($1) }
        written.writeKafkaNullableArray(["x"], flexible: flexible) { $0.writeKafkaString($1, flexible: flexible) }
        var reader = KafkaReader(written)
        #expect(try reader.readInt32Array("a", flexible: flexible) == [1, -2, 3])
        #expect(try reader.readInt64Array("b", flexible: flexible) == [])
        #expect(try reader.readStringArray("c", flexible: flexible) == ["a", "bc"])
        #expect(
            try reader.readNullableArray("d", flexible: flexible) { try $0.readString("d", flexible: flexible) } == nil
        )
        #expect(
            try reader.readNullableArray("e", flexible: flexible) { try $0.readString("e", flexible: flexible) } == [
                "x"
            ]
        )
        #expect(reader.isAtEnd)
    }

    @Test func arrayGoldenBytes() {
        var written = ByteBuffer()
        written.writeKafkaInt32Array([7], flexible: false)
        written.writeKafkaInt32Array([7], flexible: true)
        written.writeKafkaNullableArray([Int32]?.none, flexible: false) { $0.writeInteger($1) }
        written.writeKafkaNullableArray([Int32]?.none, flexible: true) { $0.writeInteger($1) }
        #expect(bytes(written) == [0, 0, 0, 1, 0, 0, 0, 7, 0x02, 0, 0, 0, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])
    }

    @Test func hostileCountsThrowBeforeAllocating() {
        // A count of 2^31-1 with 4 bytes left.
        let error = decodingError([0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1]) {
            try $0.readArray("FetchRequest.Topics") { try $0.readInt8("x") }
        }
        #expect(error?.code == .invalidLength)
        #expect(error?.field == "FetchRequest.Topics")
        #expect(error?.message == "count 2147483647 needs at least 1 bytes each, 4 bytes left")
        // 2 INT32 announced, 4 bytes left: the element size counts.
        #expect(
            decodingError([0, 0, 0, 2, 0, 0, 0, 1]) { try $0.readInt32Array("A", flexible: false) }?.code
                == .invalidLength
        )
        // A compact count of 2^32-2.
        #expect(
            decodingError([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0]) {
                try $0.readCompactArray("A") { try $0.readInt8("x") }
            }?.code == .invalidLength
        )
        // Null where null is not allowed.
        #expect(
            decodingError([0xFF, 0xFF, 0xFF, 0xFF]) { try $0.readArray("A") { try $0.readInt8("x") } }?.code
                == .invalidLength
        )
        #expect(decodingError([0x00]) { try $0.readCompactArray("A") { try $0.readInt8("x") } }?.code == .invalidLength)
        // Below -1.
        #expect(
            decodingError([0xFF, 0xFF, 0xFF, 0xFE]) { try $0.readNullableArray("A") { try $0.readInt8("x") } }?.code
                == .invalidLength
        )
    }

    @Test func taggedFieldsAreReadAndSkipped() throws {
        var written = ByteBuffer()
        written.writeKafkaTaggedFields([
            KafkaTaggedField(tag: 0, data: ByteBuffer(bytes: [9, 9])),
            KafkaTaggedField(tag: 300, data: ByteBuffer()),
        ])
        written.writeKafkaEmptyTaggedFields()
        #expect(bytes(written) == [0x02, 0x00, 0x02, 9, 9, 0xAC, 0x02, 0x00, 0x00])
        var reader = KafkaReader(written)
        let fields = try reader.readTaggedFields("T")
        #expect(fields.map(\.tag) == [0, 300])
        #expect(fields.map { bytes($0.data) } == [[9, 9], []])
        #expect(try reader.readTaggedFields("T") == [])
        #expect(reader.isAtEnd)

        var skipping = KafkaReader(written)
        try skipping.skipTaggedFields("T")
        try skipping.skipTaggedFields("T")
        #expect(skipping.isAtEnd)
        expectEveryTruncationThrows(written) { reader in
            try reader.skipTaggedFields("T")
            try reader.skipTaggedFields("T")
        }
    }

    @Test func hostileTaggedFieldsThrow() {
        // 2^31 fields announced, 3 bytes left.
        #expect(
            decodingError([0x80, 0x80, 0x80, 0x80, 0x08, 0, 1, 2]) { try $0.readTaggedFields("T") }?.code
                == .invalidLength
        )
        #expect(
            decodingError([0x80, 0x80, 0x80, 0x80, 0x08, 0, 1, 2]) { try $0.skipTaggedFields("T") }?.code
                == .invalidLength
        )
        // One field whose size is more than the bytes left.
        #expect(decodingError([0x01, 0x00, 0x7F, 1]) { try $0.readTaggedFields("T") }?.code == .invalidLength)
        #expect(decodingError([0x01, 0x00, 0x7F, 1]) { try $0.skipTaggedFields("T") }?.code == .invalidLength)
    }
}
