import BrokerProtocol
import NIOCore
import Testing

/// One message of some API, type-erased so that parameterised tests can run over every message type.
struct MessageSample: Sendable, CustomTestStringConvertible {
    /// The message type and what is special about this value.
    var name: String
    /// The API the message belongs to.
    var apiKey: APIKey
    /// Whether it is a request body (otherwise a response body).
    var isRequest: Bool
    /// The message's encoding.
    var encoded: ByteBuffer
    /// `decode(_:)` of the message's type.
    var decode: @Sendable (ByteBuffer) throws -> any WireMessage
    /// `init(decoding:)` of the message's type, which may leave bytes unread.
    var decodePrefix: @Sendable (inout ByteBuffer) throws -> any WireMessage
    /// Whether a decoded message equals the original.
    var isOriginal: @Sendable (any WireMessage) -> Bool

    var testDescription: String { name }

    init<Message: WireMessage & Hashable>(_ name: String, _ message: Message, isRequest: Bool) {
        self.name = "\(Message.self): \(name)"
        self.apiKey = Message.apiKey
        self.isRequest = isRequest
        self.encoded = message.encoded()
        self.decode = { try Message.decode($0) }
        self.decodePrefix = { try Message(decoding: &$0) }
        self.isOriginal = { ($0 as? Message) == message }
    }

    static func request<Message: WireMessage & Hashable>(_ name: String, _ message: Message) -> MessageSample {
        MessageSample(name, message, isRequest: true)
    }

    static func response<Message: WireMessage & Hashable>(_ name: String, _ message: Message) -> MessageSample {
        MessageSample(name, message, isRequest: false)
    }
}

/// Non-trivial values of every request and response type: extreme integers, nulls, empty arrays and
/// strings outside ASCII.
enum WireSamples {
    static let unicode = "注文-ключ-🎉-e\u{301}"
    static let records = ByteBuffer(bytes: [0x00, 0x01, 0xFF, 0x80] + Array(repeating: 0x5A, count: 70))

    static let requests: [MessageSample] = [
        .request("ASCII name", HandshakeRequest(clientName: "sluice-producer/1.0")),
        .request("empty name", HandshakeRequest(clientName: "")),
        .request("unicode name", HandshakeRequest(clientName: unicode)),
        .request(
            "two partitions, extreme values",
            ProduceRequest(
                acks: .durable,
                timeoutMilliseconds: .max,
                topic: unicode,
                partitions: [
                    .init(partition: ProduceRequest.anyPartition, hasMessageIDs: true, records: records),
                    .init(partition: .max, hasMessageIDs: false, records: ByteBuffer()),
                    .init(partition: .min, records: ByteBuffer(bytes: [0xFF])),
                ]
            )
        ),
        .request(
            "acks none, no partitions",
            ProduceRequest(acks: .none, timeoutMilliseconds: 0, topic: "", partitions: [])
        ),
        .request(
            "acks written",
            ProduceRequest(acks: .written, topic: "orders", partitions: [.init(partition: 0, records: records)])
        ),
        .request(
            "extreme values",
            FetchRequest(
                maxWaitMilliseconds: .max,
                minBytes: .max,
                maxBytes: .max,
                topics: [
                    .init(
                        topic: unicode,
                        partitions: [
                            .init(partition: .min, offset: .min, maxBytes: 0),
                            .init(partition: .max, offset: .max, maxBytes: .max),
                        ]
                    ),
                    .init(topic: "", partitions: []),
                ]
            )
        ),
        .request("no topics", FetchRequest(maxWaitMilliseconds: 0, minBytes: 0, maxBytes: 0, topics: [])),
        .request(
            "earliest, latest, timestamps",
            ListOffsetsRequest(
                topic: unicode,
                partitions: [
                    .init(partition: 0, timestamp: ListOffsetsRequest.earliest),
                    .init(partition: 1, timestamp: ListOffsetsRequest.latest),
                    .init(partition: .max, timestamp: .max),
                    .init(partition: .min, timestamp: .min),
                ]
            )
        ),
        .request("no partitions", ListOffsetsRequest(topic: "", partitions: [])),
        .request(
            "extreme settings",
            CreateTopicRequest(
                topic: unicode,
                partitionCount: .max,
                retentionMilliseconds: .max,
                retentionBytes: .min,
                segmentBytes: TopicSettingValue.unlimited
            )
        ),
        .request("broker defaults", CreateTopicRequest(topic: "events", partitionCount: .min)),
        .request("empty body", ListTopicsRequest()),
        .request("unicode topic", DescribeTopicRequest(topic: unicode)),
        .request("empty topic", DescribeTopicRequest(topic: "")),
        .request("unicode topic", DeleteTopicRequest(topic: unicode)),
        .request("max count", AddPartitionsRequest(topic: unicode, partitionCount: .max)),
        .request("min count", AddPartitionsRequest(topic: "", partitionCount: .min)),
        .request("empty body", BrokerStatusRequest()),
        .request("empty body", InitProducerRequest()),
    ]

    static let responses: [MessageSample] = [
        .response(
            "every supported API",
            HandshakeResponse(brokerVersion: "0.1.0", maxFrameBytes: .max, apis: ProtocolVersions.supported)
        ),
        .response(
            "unknown API, extreme versions",
            HandshakeResponse(
                brokerVersion: unicode,
                maxFrameBytes: 0,
                apis: [.init(apiKey: APIKey(rawValue: .max), minVersion: .max, maxVersion: .min)]
            )
        ),
        .response("no APIs", HandshakeResponse(brokerVersion: "", maxFrameBytes: 1, apis: [])),
        .response(
            "successes and failures",
            ProduceResponse(
                topic: unicode,
                partitions: [
                    .init(partition: 0, baseOffset: 0, lastOffset: 9),
                    .init(partition: .max, baseOffset: .max, lastOffset: .max, recordOffsets: [.min, 0, .max, 7]),
                    .failure(partition: .min, .unknownPartition, unicode),
                    .init(
                        partition: 1,
                        errorCode: ErrorCode(rawValue: .min),
                        errorMessage: "",
                        baseOffset: .min,
                        lastOffset: .min
                    ),
                ]
            )
        ),
        .response("no partitions", ProduceResponse(topic: "", partitions: [])),
        .response(
            "records, errors and empty partitions",
            FetchResponse(topics: [
                .init(
                    topic: unicode,
                    partitions: [
                        .init(partition: 0, logStartOffset: 0, logEndOffset: 3, records: records),
                        .init(
                            partition: .max,
                            errorCode: .offsetOutOfRange,
                            errorMessage: unicode,
                            logStartOffset: .max,
                            logEndOffset: .min
                        ),
                        .init(
                            partition: .min,
                            errorCode: ErrorCode(rawValue: .max),
                            logStartOffset: .min,
                            logEndOffset: .max
                        ),
                    ]
                ),
                .init(topic: "", partitions: []),
            ])
        ),
        .response("no topics", FetchResponse(topics: [])),
        .response(
            "offsets and errors",
            ListOffsetsResponse(
                topic: unicode,
                partitions: [
                    .init(partition: 0, offset: -1, logStartOffset: 0, logEndOffset: 0),
                    .init(partition: .max, offset: .max, logStartOffset: .min, logEndOffset: .max),
                    .init(
                        partition: .min,
                        errorCode: .unknownPartition,
                        errorMessage: unicode,
                        offset: .min,
                        logStartOffset: -1,
                        logEndOffset: -1
                    ),
                ]
            )
        ),
        .response("no partitions", ListOffsetsResponse(topic: "", partitions: [])),
        .response("success", CreateTopicResponse(AdministrationResult())),
        .response(
            "error with message",
            CreateTopicResponse(AdministrationResult(errorCode: .topicAlreadyExists, errorMessage: unicode))
        ),
        .response(
            "unknown code, empty message",
            DeleteTopicResponse(AdministrationResult(errorCode: ErrorCode(rawValue: .min), errorMessage: ""))
        ),
        .response("success", DeleteTopicResponse(AdministrationResult())),
        .response(
            "error without message",
            AddPartitionsResponse(AdministrationResult(errorCode: .invalidTopicConfiguration, errorMessage: nil))
        ),
        .response(
            "topics",
            ListTopicsResponse(topics: [
                .init(topic: "a", partitionCount: 1), .init(topic: unicode, partitionCount: .max),
                .init(topic: "", partitionCount: .min),
            ])
        ),
        .response("no topics", ListTopicsResponse(topics: [])),
        .response(
            "partitions",
            DescribeTopicResponse(
                topic: unicode,
                retentionMilliseconds: .max,
                retentionBytes: .min,
                segmentBytes: 1 << 30,
                partitions: [
                    .init(partition: 0, logStartOffset: 0, logEndOffset: 0, sizeBytes: 0, segmentCount: 1),
                    .init(
                        partition: .max,
                        logStartOffset: .max,
                        logEndOffset: .max,
                        sizeBytes: .max,
                        segmentCount: .max
                    ),
                    .init(
                        partition: .min,
                        logStartOffset: .min,
                        logEndOffset: .min,
                        sizeBytes: .min,
                        segmentCount: .min
                    ),
                ]
            )
        ),
        .response(
            "unknown topic",
            DescribeTopicResponse(
                result: AdministrationResult(errorCode: .unknownTopic, errorMessage: unicode),
                topic: ""
            )
        ),
        .response(
            "extreme values",
            BrokerStatusResponse(
                brokerVersion: unicode,
                uptimeMilliseconds: .max,
                topicCount: .max,
                partitionCount: .min,
                connectionCount: 0,
                logBytes: .min,
                dataDirectory: "/var/lib/sluice/データ"
            )
        ),
        .response(
            "empty strings",
            BrokerStatusResponse(
                brokerVersion: "",
                uptimeMilliseconds: 0,
                topicCount: 0,
                partitionCount: 0,
                connectionCount: .max,
                logBytes: 0,
                dataDirectory: ""
            )
        ),
        .response("extreme id", InitProducerResponse(producerID: .max, producerEpoch: .min)),
        .response(
            "error",
            InitProducerResponse(
                result: AdministrationResult(errorCode: .limitExceeded, errorMessage: unicode),
                producerID: -1,
                producerEpoch: .max
            )
        ),
    ]

    static let all =
        requests + responses + GroupWireSamples.requests + GroupWireSamples.responses
        + ScheduleWireSamples.requests + ScheduleWireSamples.responses

    /// Every string field set to ``marker``, so that tests can find each string's bytes and damage them.
    static let markedStrings: [MessageSample] = {
        let marker = Self.marker
        let oneRecord = ByteBuffer(bytes: [1, 2, 3])
        return GroupWireSamples.markedStrings + ScheduleWireSamples.markedStrings + [
            .request("marked", HandshakeRequest(clientName: marker)),
            .request(
                "marked",
                ProduceRequest(acks: .written, topic: marker, partitions: [.init(partition: 1, records: oneRecord)])
            ),
            .request(
                "marked",
                FetchRequest(
                    maxWaitMilliseconds: 1,
                    maxBytes: 1,
                    topics: [.init(topic: marker, partitions: [.init(partition: 1, offset: 1, maxBytes: 1)])]
                )
            ),
            .request("marked", ListOffsetsRequest(topic: marker, partitions: [.init(partition: 1, timestamp: 1)])),
            .request("marked", CreateTopicRequest(topic: marker, partitionCount: 1)),
            .request("marked", DescribeTopicRequest(topic: marker)),
            .request("marked", DeleteTopicRequest(topic: marker)),
            .request("marked", AddPartitionsRequest(topic: marker, partitionCount: 1)),
            .response("marked", HandshakeResponse(brokerVersion: marker, maxFrameBytes: 1, apis: [])),
            .response(
                "marked",
                ProduceResponse(
                    topic: marker,
                    partitions: [.failure(partition: 1, .storageError, marker)]
                )
            ),
            .response(
                "marked",
                FetchResponse(topics: [
                    .init(
                        topic: marker,
                        partitions: [
                            .init(
                                partition: 1,
                                errorCode: .storageError,
                                errorMessage: marker,
                                logStartOffset: 1,
                                logEndOffset: 1
                            )
                        ]
                    )
                ])
            ),
            .response(
                "marked",
                ListOffsetsResponse(
                    topic: marker,
                    partitions: [
                        .init(
                            partition: 1,
                            errorCode: .storageError,
                            errorMessage: marker,
                            offset: 1,
                            logStartOffset: 1,
                            logEndOffset: 1
                        )
                    ]
                )
            ),
            .response(
                "marked",
                CreateTopicResponse(AdministrationResult(errorCode: .storageError, errorMessage: marker))
            ),
            .response(
                "marked",
                DeleteTopicResponse(AdministrationResult(errorCode: .storageError, errorMessage: marker))
            ),
            .response(
                "marked",
                AddPartitionsResponse(AdministrationResult(errorCode: .storageError, errorMessage: marker))
            ),
            .response("marked", ListTopicsResponse(topics: [.init(topic: marker, partitionCount: 1)])),
            .response(
                "marked",
                DescribeTopicResponse(
                    result: AdministrationResult(errorCode: .storageError, errorMessage: marker),
                    topic: marker
                )
            ),
            .response(
                "marked",
                BrokerStatusResponse(
                    brokerVersion: marker,
                    uptimeMilliseconds: 1,
                    topicCount: 1,
                    partitionCount: 1,
                    connectionCount: 1,
                    logBytes: 1,
                    dataDirectory: marker
                )
            ),
            .response(
                "marked",
                InitProducerResponse(
                    result: AdministrationResult(errorCode: .storageError, errorMessage: marker),
                    producerID: 1,
                    producerEpoch: 1
                )
            ),
        ]
    }()

    /// A string whose encoding (`00 04 40 40 40 40`) appears nowhere else in ``markedStrings``.
    static let marker = "@@@@"

    /// The positions of every encoded ``marker`` (its length prefix included) in `buffer`.
    static func markerPositions(in buffer: ByteBuffer) -> [Int] {
        let bytes = Array(buffer.readableBytesView)
        let pattern: [UInt8] = [0x00, 0x04, 0x40, 0x40, 0x40, 0x40]
        guard bytes.count >= pattern.count else { return [] }
        return (0...(bytes.count - pattern.count)).filter { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
    }
}

extension ByteBuffer {
    /// A buffer of the bytes written in hexadecimal; anything but hex digits (spaces, newlines) is ignored.
    init(hex: String) {
        let digits = Array(hex.filter(\.isHexDigit).utf8)
        precondition(digits.count % 2 == 0, "odd number of hex digits")
        let bytes = stride(from: 0, to: digits.count, by: 2).map { index in
            UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16)!
        }
        self.init(bytes: bytes)
    }

    /// The readable bytes in lowercase hexadecimal, without separators.
    var hexString: String {
        readableBytesView.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
