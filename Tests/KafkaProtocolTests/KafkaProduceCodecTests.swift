import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaProduceCodecTests {
    static let batch = ByteBuffer(bytes: Array(0..<61).map { UInt8($0) })

    static let request = KafkaProduceRequest(
        transactionalID: nil,
        acks: -1,
        timeoutMs: 30_000,
        topics: [
            KafkaProduceRequest.Topic(
                name: "orders",
                partitions: [
                    KafkaProduceRequest.Partition(partitionIndex: 0, records: batch),
                    KafkaProduceRequest.Partition(partitionIndex: 3, records: nil),
                ]
            ),
            KafkaProduceRequest.Topic(name: "empty", partitions: []),
        ]
    )

    static func response(version: Int16) -> KafkaProduceResponse {
        KafkaProduceResponse(
            topics: [
                KafkaProduceResponse.Topic(
                    name: "orders",
                    partitions: [
                        KafkaProduceResponse.Partition(
                            partitionIndex: 0,
                            baseOffset: 42,
                            logAppendTimeMs: 1_700_000_000_000,
                            logStartOffset: version >= 5 ? 7 : -1
                        ),
                        KafkaProduceResponse.Partition(
                            partitionIndex: 3,
                            errorCode: .invalidRecord,
                            baseOffset: -1,
                            recordErrors: version >= 8
                                ? [.init(batchIndex: 2, message: "bad key"), .init(batchIndex: 5, message: nil)] : [],
                            errorMessage: version >= 8 ? "2 records failed" : nil
                        ),
                    ]
                )
            ],
            throttleTimeMs: 12
        )
    }

    @Test(arguments: supportedVersions(.produce))
    func requestRoundTrips(version: Int16) throws {
        let extract: (KafkaRequest.Body) -> KafkaProduceRequest? = { if case .produce(let r) = $0 { r } else { nil } }
        try checkRequest(Self.request, version: version, extract: extract)
        var transactional = Self.request
        transactional.transactionalID = "tx-1"
        transactional.acks = 0
        try checkRequest(transactional, version: version, extract: extract)
    }

    @Test(arguments: supportedVersions(.produce))
    func responseRoundTrips(version: Int16) throws {
        try checkResponse(Self.response(version: version), version: version)
    }

    @Test func requestGoldenBytesV3() throws {
        // Header v1: key 0, version 3, correlation 5, client id "k". Body: null transactional id,
        // acks -1, timeout 30000, 1 topic "t" with 1 partition 0 and 3 record bytes.
        let golden: [UInt8] = [
            0, 0, 0, 41,
            0x00, 0x00, 0x00, 0x03, 0, 0, 0, 5, 0x00, 0x01, 0x6B,
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x75, 0x30,
            0, 0, 0, 1, 0x00, 0x01, 0x74,
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0x01, 0x02, 0x03,
        ]
        let request = KafkaProduceRequest(
            acks: -1,
            timeoutMs: 30_000,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, records: ByteBuffer(bytes: [1, 2, 3]))])]
        )
        #expect(bytes(request.encodeFrame(version: 3, correlationID: 5, clientID: "k")) == golden)
        let decoded = try KafkaRequest.decode(frame: buffer(Array(golden.dropFirst(4))))
        #expect(decoded.body == .produce(request))
    }

    @Test func recordsAreSlicesOfTheFrame() throws {
        var frame = Self.request.encodeFrame(version: 8, correlationID: 1, clientID: "c")
        frame.moveReaderIndex(forwardBy: 4)
        guard case .produce(let request) = try KafkaRequest.decode(frame: frame).body else {
            Issue.record("not a produce request")
            return
        }
        let records = try #require(request.topics[0].partitions[0].records)
        let frameRange = frame.withUnsafeReadableBytes {
            UInt(bitPattern: $0.baseAddress)..<UInt(bitPattern: $0.baseAddress) + UInt($0.count)
        }
        let recordsAddress = records.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(frameRange.contains(recordsAddress))
        #expect(records == Self.batch)
    }

    @Test func hostileInputThrows() {
        // Records announcing 2^31-1 bytes with 4 left.
        let records = bodyDecodingError(
            KafkaProduceRequest.self,
            version: 3,
            [
                0xFF, 0xFF, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 1, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 1,
                2, 3, 4,
            ]
        )
        #expect(records?.field == "ProduceRequest.Topics.Partitions.Records")
        #expect(records?.code == .invalidLength)
        // 2^31-1 topics.
        let topics = bodyDecodingError(
            KafkaProduceRequest.self,
            version: 3,
            [0xFF, 0xFF, 0, 1, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 1, 0x74, 0]
        )
        #expect(topics?.field == "ProduceRequest.Topics")
        // Produce v2 is below the served range.
        #expect(bodyDecodingError(KafkaProduceRequest.self, version: 2, [])?.code == .invalidValue)
    }
}
