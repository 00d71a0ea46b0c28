import BrokerProtocol
import NIOCore
import Testing

/// Every request and response type: round trips, and the bad bytes every decoder must refuse.
@Suite("Message coding")
struct MessageCodingTests {
    /// Every API the broker announces has request and response samples, so that a new API cannot
    /// slip past the tests below.
    @Test func everySupportedAPIHasSamples() {
        for range in ProtocolVersions.supported {
            #expect(
                (WireSamples.requests + GroupWireSamples.requests + ScheduleWireSamples.requests).contains {
                    $0.apiKey == range.apiKey
                },
                "no request sample for \(range.apiKey)"
            )
            #expect(
                (WireSamples.responses + GroupWireSamples.responses + ScheduleWireSamples.responses).contains {
                    $0.apiKey == range.apiKey
                },
                "no response sample for \(range.apiKey)"
            )
        }
    }

    @Test(arguments: WireSamples.all)
    func roundTrip(_ sample: MessageSample) throws {
        let decoded = try sample.decode(sample.encoded)
        #expect(sample.isOriginal(decoded))
        // Byte for byte too: `String ==` would hide a change of normalisation.
        #expect(decoded.encoded() == sample.encoded)
        #expect(type(of: decoded).apiKey == sample.apiKey)
    }

    /// The decoder reads exactly the message and leaves what follows for the caller.
    @Test(arguments: WireSamples.all)
    func decodingConsumesExactlyTheMessage(_ sample: MessageSample) throws {
        var buffer = sample.encoded
        buffer.writeBytes([0xDE, 0xAD])
        let decoded = try sample.decodePrefix(&buffer)
        #expect(sample.isOriginal(decoded))
        #expect(Array(buffer.readableBytesView) == [0xDE, 0xAD])
    }

    /// Every proper prefix of a valid encoding is refused with a `ProtocolError`.
    @Test(arguments: WireSamples.all)
    func everyTruncationThrows(_ sample: MessageSample) {
        for length in 0..<sample.encoded.readableBytes {
            let prefix = sample.encoded.getSlice(at: sample.encoded.readerIndex, length: length)!
            let error = #expect(throws: ProtocolError.self, "prefix of \(length) bytes") {
                try sample.decode(prefix)
            }
            #expect(error?.code == .malformedRequest)
        }
    }

    /// `decode(_:)` refuses trailing bytes: they mean a version mismatch or a bug.
    @Test(arguments: WireSamples.all)
    func trailingBytesThrow(_ sample: MessageSample) {
        for trailing in [[0x00], [0xFF, 0xFF, 0xFF, 0xFF], Array(repeating: UInt8(0), count: 100)] as [[UInt8]] {
            var buffer = sample.encoded
            buffer.writeBytes(trailing)
            let error = #expect(throws: ProtocolError.self) { try sample.decode(buffer) }
            #expect(error?.code == .malformedRequest)
            #expect(error?.message.contains("\(trailing.count) unexpected trailing bytes") == true)
        }
    }

    /// Each string field in turn, replaced by bytes that are not UTF-8, is refused.
    @Test(
        arguments: [
            [0xFF, 0xFE, 0xFD, 0xFC],  // never valid
            [0xC0, 0xAF, 0x41, 0x41],  // overlong "/"
            [0xED, 0xA0, 0x80, 0x41],  // a UTF-16 surrogate
            [0x41, 0x41, 0x41, 0xE2],  // a sequence cut short by the length
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0x80, 0x41, 0x41, 0x41],  // a lone continuation byte
        ] as [[UInt8]]
    )
    func invalidUTF8Throws(_ invalid: [UInt8]) throws {
        for sample in WireSamples.markedStrings {
            let positions = WireSamples.markerPositions(in: sample.encoded)
            #expect(!positions.isEmpty, "\(sample.name) has no marked string")
            _ = try sample.decode(sample.encoded)
            for position in positions {
                var damaged = sample.encoded
                damaged.setBytes(invalid, at: damaged.readerIndex + position + 2)
                let error = #expect(throws: ProtocolError.self, "\(sample.name), string at \(position)") {
                    try sample.decode(damaged)
                }
                #expect(error?.code == .malformedRequest)
                #expect(error?.message.hasSuffix("not valid UTF-8") == true, "\(String(describing: error))")
            }
        }
    }

    /// A required string announced as null (length 0xFFFF) is refused; in a nullable field it decodes.
    @Test func nullWhereAStringIsRequiredThrows() throws {
        for sample in WireSamples.markedStrings {
            for position in WireSamples.markerPositions(in: sample.encoded) {
                var damaged = ByteBuffer()
                damaged.writeImmutableBuffer(sample.encoded.getSlice(at: sample.encoded.readerIndex, length: position)!)
                damaged.writeInteger(UInt16.max)
                let rest = sample.encoded.readableBytes - position - 6
                damaged.writeImmutableBuffer(
                    sample.encoded.getSlice(at: sample.encoded.readerIndex + position + 6, length: rest)!
                )
                do {
                    let decoded = try sample.decode(damaged)
                    // Only a nullable field (an error message) may decode, and then it is nil.
                    #expect(!sample.isOriginal(decoded))
                    #expect(decoded.encoded() == damaged, "\(sample.name) at \(position)")
                } catch let error as ProtocolError {
                    #expect(error.message.contains("null where a string is required"), "\(sample.name): \(error)")
                }
            }
        }
    }

    @Test(arguments: [Int8(3), 4, 100, .max, -1, .min])
    func produceRefusesUnknownAcks(_ acks: Int8) {
        var body = ProduceRequest(acks: .durable, topic: "t", partitions: []).encoded()
        body.setInteger(acks, at: body.readerIndex)
        let error = #expect(throws: ProtocolError.self) { try ProduceRequest.decode(body) }
        #expect(error?.code == .malformedRequest)
        #expect(error?.message.hasPrefix("acks: \(acks)") == true)
    }

    @Test func acksValuesArePinned() {
        #expect(Acks.allCases.map(\.rawValue) == [0, 1, 2])
        #expect([Acks.none, .written, .durable].map(\.rawValue) == [0, 1, 2])
    }

    /// Only bit 0 of a produce partition's flags means something; other bits are ignored.
    @Test func produceFlagsBitZeroIsTheMessageIDFlag() throws {
        for flags: UInt8 in [0x00, 0x01, 0xFE, 0xFF] {
            var body = ByteBuffer(hex: "02 00000010 0001 74 00000001 00000003")
            body.writeInteger(flags)
            body.writeBytes([0x00, 0x00, 0x00, 0x01, 0xAB])
            let request = try ProduceRequest.decode(body)
            #expect(request.partitions.map(\.hasMessageIDs) == [flags & 1 == 1])
            #expect(request.partitions.first?.records == ByteBuffer(bytes: [0xAB]))
        }
    }

    /// Produce partition entries must carry records; a null `bytes` is refused.
    @Test func produceRefusesNullRecords() {
        let body = ByteBuffer(hex: "02 00000010 0001 74 00000001 00000003 00 ffffffff")
        let error = #expect(throws: ProtocolError.self) { try ProduceRequest.decode(body) }
        #expect(error?.message == "records: null")
    }

    /// A fetch response's null records (length -1) decode as empty records.
    @Test func fetchResponseReadsNullRecordsAsEmpty() throws {
        let body = ByteBuffer(
            hex: "00000001 0001 74 00000001 00000000 0000 ffff 0000000000000000 0000000000000005 ffffffff"
        )
        let response = try FetchResponse.decode(body)
        #expect(response.topics.first?.partitions.first?.records.readableBytes == 0)
        #expect(response.topics.first?.partitions.first?.logEndOffset == 5)
    }

    /// `bytes` lengths below -1 or past the end are refused.
    @Test(arguments: ["fffffffe", "80000000", "7fffffff", "00000002"])
    func badBytesLengthsThrow(_ lengthHex: String) {
        let body = ByteBuffer(hex: "02 00000010 0001 74 00000001 00000003 00 \(lengthHex) ab")
        let error = #expect(throws: ProtocolError.self) { try ProduceRequest.decode(body) }
        #expect(error?.message.hasPrefix("records: length") == true)
    }

    /// String lengths past the end are refused before anything is read.
    @Test(arguments: ["fffe", "0100", "0002"])
    func badStringLengthsThrow(_ lengthHex: String) {
        let body = ByteBuffer(hex: "\(lengthHex) 41")
        let error = #expect(throws: ProtocolError.self) { try HandshakeRequest.decode(body) }
        #expect(error?.message.hasPrefix("clientName: ") == true)
        #expect(error?.message.contains("bytes announced, 1 left") == true)
    }
}
