import BrokerProtocol
import NIOCore
import Testing

/// `brokerStatus` v1: the v0 body followed by the operations figures, byte by byte as
/// docs/PROTOCOL.md §5.9 gives them; a v0 body still decodes (without them) and encodes as before.
@Suite struct BrokerStatusVersionTests {
    static let v0 = BrokerStatusResponse(
        brokerVersion: "1",
        uptimeMilliseconds: 2,
        topicCount: 3,
        partitionCount: 4,
        connectionCount: 5,
        logBytes: 6,
        dataDirectory: "d"
    )

    static let operations = BrokerStatusResponse.Operations(
        groupCount: 7,
        groupLag: 8,
        inFlight: 9,
        redeliveries: 10,
        deadLetters: 11,
        deadLettersHeld: 12,
        pendingSchedules: 13,
        kafkaConnections: 14,
        kafkaGroupCount: 15
    )

    static let v0Bytes: [UInt8] =
        [0x00, 0x01, 0x31] + int64(2) + int32(3) + int32(4) + int32(5) + int64(6) + [0x00, 0x01, 0x64]

    static func int64(_ value: Int64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
    static func int32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }

    @Test("the broker announces brokerStatus v0-v2")
    func versionRange() {
        let range = ProtocolVersions.range(of: .brokerStatus)
        #expect(range?.minVersion == 0 && range?.maxVersion == 2)
    }

    @Test("v2 is the v1 body followed by the three lateness figures; v1 is read without them")
    func v2Bytes() throws {
        var v2 = Self.v0
        v2.operations = Self.operations
        v2.scheduleLateness = .init(schedulesFired: 16, totalMilliseconds: 17, maxMilliseconds: 18)
        var v1 = v2
        v1.scheduleLateness = nil
        let v1Bytes = Array(v1.encoded().readableBytesView)
        let expected = v1Bytes + Self.int64(16) + Self.int64(17) + Self.int64(18)
        #expect(Array(v2.encoded().readableBytesView) == expected)
        #expect(try BrokerStatusResponse.decode(ByteBuffer(bytes: expected), version: 2) == v2)
        #expect(try BrokerStatusResponse.decode(ByteBuffer(bytes: v1Bytes), version: 1) == v1)
        // A v1 body where v2 is due is short; a v2 body read as v1 is too long.
        #expect(throws: ProtocolError.self) { try BrokerStatusResponse.decode(ByteBuffer(bytes: v1Bytes), version: 2) }
        #expect(throws: ProtocolError.self) { try BrokerStatusResponse.decode(ByteBuffer(bytes: expected), version: 1) }
        for cut in v1Bytes.count + 1..<expected.count {
            #expect(throws: ProtocolError.self) {
                try BrokerStatusResponse.decode(ByteBuffer(bytes: expected.prefix(cut)), version: 2)
            }
        }
    }

    @Test("v0 bytes are unchanged and decode without the operations figures")
    func v0Unchanged() throws {
        #expect(Array(Self.v0.encoded().readableBytesView) == Self.v0Bytes)
        for decoded in [
            try BrokerStatusResponse.decode(ByteBuffer(bytes: Self.v0Bytes)),
            try BrokerStatusResponse.decode(ByteBuffer(bytes: Self.v0Bytes), version: 0),
        ] {
            #expect(decoded == Self.v0)
            #expect(decoded.operations == nil)
        }
    }

    @Test("v1 is the v0 body followed by the nine figures, in order")
    func v1Bytes() throws {
        var v1 = Self.v0
        v1.operations = Self.operations
        let expected =
            Self.v0Bytes + Self.int32(7) + Self.int64(8) + Self.int64(9) + Self.int64(10) + Self.int64(11)
            + Self.int64(12) + Self.int64(13) + Self.int32(14) + Self.int32(15)
        #expect(Array(v1.encoded().readableBytesView) == expected)
        #expect(try BrokerStatusResponse.decode(ByteBuffer(bytes: expected), version: 1) == v1)
        // Read as v0 (an older client never gets it; a mix-up is caught): 60 bytes too many.
        #expect(throws: ProtocolError.self) { try BrokerStatusResponse.decode(ByteBuffer(bytes: expected)) }
        // A v0 body where v1 is due is short, not silently without the figures.
        #expect(throws: ProtocolError.self) {
            try BrokerStatusResponse.decode(ByteBuffer(bytes: Self.v0Bytes), version: 1)
        }
    }

    @Test("a truncated or overlong v1 section is malformed, never a crash")
    func truncated() {
        var v1 = Self.v0
        v1.operations = Self.operations
        let bytes = Array(v1.encoded().readableBytesView)
        for cut in Self.v0Bytes.count + 1..<bytes.count {
            #expect(throws: ProtocolError.self) {
                try BrokerStatusResponse.decode(ByteBuffer(bytes: bytes.prefix(cut)), version: 1)
            }
        }
        #expect(throws: ProtocolError.self) {
            try BrokerStatusResponse.decode(ByteBuffer(bytes: bytes + [0]), version: 1)
        }
    }

    @Test("the v1 example of docs/PROTOCOL.md §5.9 is these bytes")
    func documentedExample() throws {
        var v1 = Self.v0
        v1.operations = Self.operations
        #expect(try GroupProtocolDocTests.exampleBlocks().contains(v1.encoded()))
    }
}
