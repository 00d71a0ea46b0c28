import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaStringAndBytesTests {
    @Test func stringGoldenBytes() throws {
        var written = ByteBuffer()
        written.writeKafkaString("ab")
        written.writeKafkaString("ab", flexible: true)
        written.writeKafkaNullableString(nil)
        written.writeKafkaNullableString(nil, flexible: true)
        written.writeKafkaString("")
        written.writeKafkaString("", flexible: true)
        #expect(bytes(written) == [0x00, 0x02, 0x61, 0x62, 0x03, 0x61, 0x62, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01])
        var reader = KafkaReader(written)
        #expect(try reader.readString("a") == "ab")
        #expect(try reader.readCompactString("b") == "ab")
        #expect(try reader.readNullableString("c") == nil)
        #expect(try reader.readCompactNullableString("d") == nil)
        #expect(try reader.readString("e", flexible: false) == "")
        #expect(try reader.readNullableString("f", flexible: true) == "")
        #expect(reader.isAtEnd)
    }

    @Test(arguments: [false, true])
    func unicodeStringsRoundTrip(flexible: Bool) throws {
        let value = "topic-é-主题-🚀"
        var written = ByteBuffer()
        written.writeKafkaNullableString(value, flexible: flexible)
        var reader = KafkaReader(written)
        #expect(try reader.readNullableString("s", flexible: flexible) == value)
    }

    @Test func nullInANonNullableStringIsAnError() {
        #expect(decodingError([0xFF, 0xFF]) { try $0.readString("M.Name") }?.code == .invalidLength)
        #expect(decodingError([0x00]) { try $0.readCompactString("M.Name") }?.code == .invalidLength)
        #expect(decodingError([0xFF, 0xFE]) { try $0.readNullableString("M.Name") }?.code == .invalidLength)
        #expect(decodingError([0xFF, 0xFF, 0xFF, 0xFF]) { try $0.readBytes("M.Records") }?.code == .invalidLength)
        #expect(decodingError([0x00]) { try $0.readCompactBytes("M.Records") }?.code == .invalidLength)
    }

    @Test func hostileLengthsThrowNamingTheField() {
        // 32,767 bytes announced, 2 left.
        let string = decodingError([0x7F, 0xFF, 0x61, 0x62]) { try $0.readString("MetadataRequest.Topics.Name") }
        #expect(string?.code == .invalidLength)
        #expect(string?.field == "MetadataRequest.Topics.Name")
        // 2^31-1 bytes announced, 4 left.
        let records = decodingError([0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]) { try $0.readNullableBytes("P.Records") }
        #expect(records?.message == "length 2147483647 is more than the 4 bytes left")
        // A compact length of 2^32-2.
        #expect(
            decodingError([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) { try $0.readCompactNullableBytes("P.Records") }?.code
                == .invalidLength
        )
        #expect(
            decodingError([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x61]) { try $0.readCompactString("S") }?.code
                == .invalidLength
        )
    }

    @Test func invalidUTF8IsRejected() {
        let error = decodingError([0x00, 0x02, 0xC3, 0x28]) { try $0.readString("M.ClientId") }
        #expect(error?.code == .invalidUTF8)
        #expect(decodingError([0x02, 0xFF]) { try $0.readCompactString("M.Name") }?.code == .invalidUTF8)
    }

    @Test(arguments: [false, true])
    func bytesRoundTripAsSlicesWithoutCopying(flexible: Bool) throws {
        var written = ByteBuffer()
        written.writeKafkaBytes(ByteBuffer(bytes: [1, 2, 3]), flexible: flexible)
        written.writeKafkaNullableBytes(nil, flexible: flexible)
        written.writeKafkaNullableBytes(ByteBuffer(), flexible: flexible)
        var reader = KafkaReader(written)
        let slice = try reader.readBytes("b", flexible: flexible)
        #expect(bytes(slice) == [1, 2, 3])
        #expect(try reader.readNullableBytes("n", flexible: flexible) == nil)
        #expect(try reader.readNullableBytes("e", flexible: flexible) == ByteBuffer())
        #expect(reader.isAtEnd)
        // The slice points into the message's own storage.
        let prefixBytes = flexible ? 1 : 4
        let messageAddress = written.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        let sliceAddress = slice.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(sliceAddress == messageAddress + UInt(prefixBytes))
    }
}
