import BrokerProtocol
import NIOCore
import Testing

/// The primitive types of `WireCoding.swift`, their exact bytes, and hostile lengths and counts.
@Suite("Wire coding")
struct WireCodingTests {
    // MARK: Layouts

    @Test func primitiveLayouts() {
        var buffer = ByteBuffer()
        buffer.writeWireString("é")
        buffer.writeWireNullableString(nil)
        buffer.writeWireNullableString("")
        buffer.writeWireBytes(nil)
        buffer.writeWireBytes(ByteBuffer())
        buffer.writeWireBytes(ByteBuffer(bytes: [0xAB]))
        buffer.writeWireArray([Int16(-2), 3]) { $0.writeInteger($1) }
        buffer.writeWireArray([Int16]()) { $0.writeInteger($1) }
        #expect(
            buffer.hexString
                == "0002c3a9" + "ffff" + "0000" + "ffffffff" + "00000000" + "00000001ab" + "00000002fffe0003"
                + "00000000"
        )
    }

    @Test func primitivesReadBack() throws {
        var buffer = ByteBuffer(hex: "0002c3a9 ffff 0000 ffffffff 00000000 00000001ab 00000002fffe0003")
        #expect(try buffer.readWireString() == "é")
        #expect(try buffer.readWireNullableString() == nil)
        #expect(try buffer.readWireNullableString() == "")
        #expect(try buffer.readWireBytes() == nil)
        #expect(try buffer.readWireBytes() == ByteBuffer())
        #expect(try buffer.readWireBytes() == ByteBuffer(bytes: [0xAB]))
        let values = try buffer.readWireArray("values", minimumElementBytes: 2) { try $0.readWire(Int16.self, "v") }
        #expect(values == [-2, 3])
        try buffer.expectFullyRead("primitives")
    }

    /// The longest string that fits (65,534 bytes: 0xFFFF means null) survives a round trip.
    @Test func longestStringRoundTrips() throws {
        let string = String(repeating: "é", count: 32_766) + "ab"
        #expect(string.utf8.count == 65_534)
        var buffer = ByteBuffer()
        buffer.writeWireString(string)
        #expect(buffer.getInteger(at: 0, as: UInt16.self) == 0xFFFE)
        #expect(try buffer.readWireString() == string)
    }

    /// Error messages may quote client input (a 65,534-byte topic name, say): a message too long for
    /// a `string` is cut to fit, between Unicode scalars, instead of trapping the broker.
    @Test(arguments: ["x", "é", "🎉"])
    func longErrorMessagesAreCutToFit(_ unit: String) throws {
        let message = "unknown topic '" + String(repeating: unit, count: 70_000) + "'"
        let responses: [any WireMessage] = [
            ProduceResponse(topic: "t", partitions: [.failure(partition: 0, .unknownTopic, message)]),
            FetchResponse(topics: [
                .init(
                    topic: "t",
                    partitions: [
                        .init(
                            partition: 0,
                            errorCode: .unknownTopic,
                            errorMessage: message,
                            logStartOffset: -1,
                            logEndOffset: -1
                        )
                    ]
                )
            ]),
            ListOffsetsResponse(
                topic: "t",
                partitions: [
                    .init(
                        partition: 0,
                        errorCode: .unknownTopic,
                        errorMessage: message,
                        offset: -1,
                        logStartOffset: -1,
                        logEndOffset: -1
                    )
                ]
            ),
            CreateTopicResponse(AdministrationResult(errorCode: .invalidTopicName, errorMessage: message)),
        ]
        var decodedMessages: [String?] = []
        for response in responses {
            let decoded = try type(of: response).decode(response.encoded())
            switch decoded {
            case let decoded as ProduceResponse: decodedMessages.append(decoded.partitions.first?.errorMessage)
            case let decoded as FetchResponse:
                decodedMessages.append(decoded.topics.first?.partitions.first?.errorMessage)
            case let decoded as ListOffsetsResponse: decodedMessages.append(decoded.partitions.first?.errorMessage)
            case let decoded as CreateTopicResponse: decodedMessages.append(decoded.result.errorMessage)
            default: Issue.record("unexpected \(decoded)")
            }
        }
        let frame = ResponseFrame(correlationID: 1, error: .unknownTopic, message: message)
        decodedMessages.append(frame.errorMessage)
        #expect(decodedMessages.count == 5)
        for decoded in decodedMessages {
            let decoded = try #require(decoded)
            #expect(decoded.utf8.count <= Frame.maxStringBytes)
            #expect(decoded.utf8.count > Frame.maxStringBytes - 4 - 3)
            #expect(decoded.hasSuffix("…"))
            #expect(message.unicodeScalars.starts(with: decoded.unicodeScalars.dropLast()))
        }
    }

    /// A message that just fits is not cut.
    @Test func errorMessageThatFitsIsKept() throws {
        let message = String(repeating: "a", count: Frame.maxStringBytes)
        let response = CreateTopicResponse(AdministrationResult(errorCode: .invalidTopicName, errorMessage: message))
        #expect(try CreateTopicResponse.decode(response.encoded()) == response)
        #expect(ResponseFrame(correlationID: 1, error: .invalidTopicName, message: message).errorMessage == message)
    }

    @Test func missingFieldsAreNamed() {
        var buffer = ByteBuffer(bytes: [0x00, 0x01, 0x02])
        let error = #expect(throws: ProtocolError.self) { try buffer.readWire(UInt32.self, "partitionCount") }
        #expect(error == ProtocolError(.malformedRequest, "partitionCount: expected 4 bytes"))
        #expect(buffer.readableBytes == 3)
    }

    // MARK: Array counts

    /// A count is accepted only if that many elements of the minimum size fit in the bytes left.
    @Test func arrayCountIsCheckedAgainstTheBytesLeft() throws {
        var fits = ByteBuffer(hex: "00000003 0001 0002 0003")
        #expect(try fits.readWireArray("a", minimumElementBytes: 2) { try $0.readWire(UInt16.self, "e") } == [1, 2, 3])

        var tooMany = ByteBuffer(hex: "00000004 0001 0002 0003 00")
        let error = #expect(throws: ProtocolError.self) {
            try tooMany.readWireArray("a", minimumElementBytes: 2) { try $0.readWire(UInt16.self, "e") }
        }
        #expect(error == ProtocolError(.malformedRequest, "a: 4 elements cannot fit in 7 bytes"))
    }

    /// A hostile count in any array of any message is refused by the count check itself, before an
    /// element is read or storage for the elements is reserved.
    @Test(arguments: HostileCount.all)
    func hostileArrayCountsThrowBeforeAllocating(_ hostile: HostileCount) {
        for count in ["ffffffff", "7fffffff", "00010000"] {
            let body = ByteBuffer(hex: hostile.prefixHex + count + String(repeating: "00", count: 64))
            let error = #expect(throws: ProtocolError.self, "\(hostile.name), count \(count)") {
                try hostile.decode(body)
            }
            #expect(error?.code == .malformedRequest)
            #expect(
                error?.message.hasPrefix("\(hostile.field): \(UInt32(count, radix: 16)!) elements cannot fit in")
                    == true,
                "\(String(describing: error))"
            )
        }
    }

    /// The count check is tight: as many all-zero elements (each the smallest encoding of one, e.g.
    /// empty strings and arrays) as the count says decode, and one more than fit is refused by the
    /// count check even though the bytes for all but the last are there.
    @Test(arguments: HostileCount.all)
    func countCheckUsesTheSmallestElementSize(_ hostile: HostileCount) throws {
        let count = 3
        let fitting = ByteBuffer(hex: hostile.prefixHex + hex(UInt32(count)) + zeros(count * hostile.elementBytes))
        try hostile.decode(fitting)
        let oneTooMany = ByteBuffer(
            hex: hostile.prefixHex + hex(UInt32(count + 1)) + zeros((count + 1) * hostile.elementBytes - 1)
        )
        let error = #expect(throws: ProtocolError.self) { try hostile.decode(oneTooMany) }
        #expect(error?.message.hasPrefix("\(hostile.field): \(count + 1) elements cannot fit in") == true)
    }

    private func zeros(_ count: Int) -> String { String(repeating: "00", count: count) }

    private func hex(_ value: UInt32) -> String {
        var buffer = ByteBuffer()
        buffer.writeInteger(value)
        return buffer.hexString
    }

    // MARK: Golden encodings (these bytes are the examples in docs/PROTOCOL.md)

    @Test func produceRequestBytes() {
        let request = ProduceRequest(
            acks: .durable,
            timeoutMilliseconds: 30_000,
            topic: "t",
            partitions: [.init(partition: -1, hasMessageIDs: true, records: ByteBuffer(bytes: [0xAA, 0xBB]))]
        )
        #expect(
            request.encoded().hexString == "02" + "00007530" + "000174" + "00000001" + "ffffffff" + "01"
                + "00000002aabb"
        )
    }

    @Test func fetchRequestBytes() {
        let request = FetchRequest(
            maxWaitMilliseconds: 500,
            minBytes: 1,
            maxBytes: 1_048_576,
            topics: [.init(topic: "t", partitions: [.init(partition: 2, offset: 7, maxBytes: 65_536)])]
        )
        #expect(
            request.encoded().hexString
                == "000001f4" + "00000001" + "00100000" + "00000001" + "000174" + "00000001" + "00000002"
                + "0000000000000007" + "00010000"
        )
    }

    @Test func handshakeResponseBytes() {
        let response = HandshakeResponse(
            brokerVersion: "1",
            maxFrameBytes: UInt32(Frame.defaultMaxFrameBytes),
            apis: [.init(apiKey: .fetch, minVersion: 0, maxVersion: 0)]
        )
        #expect(response.encoded().hexString == "000131" + "01000000" + "00000001" + "0002" + "0000" + "0000")
    }

    @Test func describeTopicResponseBytes() {
        let response = DescribeTopicResponse(
            topic: "t",
            retentionMilliseconds: -1,
            retentionBytes: -1,
            segmentBytes: 1 << 30,
            partitions: [.init(partition: 0, logStartOffset: 0, logEndOffset: 3, sizeBytes: 200, segmentCount: 1)]
        )
        #expect(
            response.encoded().hexString
                == "0000" + "ffff" + "000174" + "ffffffffffffffff" + "ffffffffffffffff" + "0000000040000000"
                + "00000001" + "00000000" + "0000000000000000" + "0000000000000003" + "00000000000000c8" + "00000001"
        )
    }
}

/// The bytes of a message up to one of its array counts, where a test puts a hostile count.
struct HostileCount: Sendable, CustomTestStringConvertible {
    var name: String
    /// The field name the decoder reports.
    var field: String
    /// The message's bytes before the count.
    var prefixHex: String
    /// The smallest encoding of one element, which is also a valid one when all zero.
    var elementBytes: Int
    var decode: @Sendable (ByteBuffer) throws -> Void

    var testDescription: String { name }

    init<Message: WireMessage>(_ type: Message.Type, _ field: String, _ elementBytes: Int, _ prefixHex: String) {
        self.name = "\(Message.self).\(field)"
        self.field = field
        self.elementBytes = elementBytes
        self.prefixHex = prefixHex
        self.decode = { _ = try Message.decode($0) }
    }

    /// Every array of every message type. `0001 74` is the string "t"; `00000001` a count of one.
    static let all: [HostileCount] = [
        HostileCount(FetchRequest.self, "topics", 6, "00000000 00000000 00000000"),
        HostileCount(FetchRequest.self, "partitions", 16, "00000000 00000000 00000000 00000001 000174"),
        HostileCount(ListOffsetsRequest.self, "partitions", 12, "000174"),
        HostileCount(ProduceRequest.self, "partitions", 9, "02 00000000 000174"),
        HostileCount(HandshakeResponse.self, "apis", 6, "000131 00000000"),
        HostileCount(ProduceResponse.self, "partitions", 28, "000174"),
        HostileCount(
            ProduceResponse.self,
            "recordOffsets",
            8,
            "000174 00000001 00000000 0000 ffff 0000000000000000 0000000000000000"
        ),
        HostileCount(FetchResponse.self, "topics", 6, ""),
        HostileCount(FetchResponse.self, "partitions", 28, "00000001 000174"),
        HostileCount(ListOffsetsResponse.self, "partitions", 32, "000174"),
        HostileCount(ListTopicsResponse.self, "topics", 6, ""),
        HostileCount(
            DescribeTopicResponse.self,
            "partitions",
            32,
            "0000 ffff 000174 0000000000000000 0000000000000000 0000000000000000"
        ),
    ]
}
