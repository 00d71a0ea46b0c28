import BrokerProtocol
import NIOCore

extension Seeds {
    /// The seeds of `FuzzFrames`: byte 0 seeds the chunk sizes, the rest is a stream of frames.
    /// One seed per API with its request as the body, one with its response as the body (the
    /// harness decodes both), one stream with every request, and a few edge cases.
    public static func frames() -> [String: [UInt8]] {
        var seeds: [String: [UInt8]] = [:]
        var everything: [UInt8] = [0x07]
        for (index, (apiKey, request, response)) in sampleMessages().enumerated() {
            let requestFrame = frame(apiKey, correlationID: UInt32(index), body: request)
            seeds["request-\(apiKey)"] = [UInt8(index)] + requestFrame
            seeds["response-\(apiKey)"] = [UInt8(index)] + frame(apiKey, correlationID: 1, body: response)
            everything += requestFrame
        }
        seeds["stream-all-requests"] = everything
        seeds.merge(pushAndVersionedFrames()) { first, _ in first }
        seeds["zero-length-frame"] = [0x01, 0, 0, 0, 0, 0, 0, 0, 8, 0, 5, 0, 0, 0, 0, 0, 1]
        seeds["oversized-frame"] = [0x02, 0, 0, 0x04, 0x01] + Array(repeating: 0x41, count: 16)
        seeds["unknown-api"] = [0x03] + frame(APIKey(rawValue: 19), correlationID: 9, body: [0xFF, 0xFF])
        return seeds
    }

    static func frame(_ apiKey: APIKey, correlationID: UInt32, body: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer()
        RequestFrame(
            header: RequestHeader(apiKey: apiKey, apiVersion: 0, correlationID: correlationID),
            body: ByteBuffer(bytes: body)
        ).write(into: &buffer)
        return Array(buffer.readableBytesView)
    }

    /// A request and a response body of every API (the group, schedule and dead-letter ones from
    /// ``groupAndScheduleMessages()``).
    static func sampleMessages() -> [(APIKey, [UInt8], [UInt8])] {
        func bytes(_ message: some WireMessage) -> [UInt8] { Array(message.encoded().readableBytesView) }
        let records = ByteBuffer(bytes: Array(0..<32))
        let failed = AdministrationResult(errorCode: .unknownTopic, errorMessage: "no")
        return [
            (
                .handshake, bytes(HandshakeRequest(clientName: "fuzz")),
                bytes(HandshakeResponse(brokerVersion: "1", maxFrameBytes: 1024, apis: ProtocolVersions.supported))
            ),
            (
                .produce,
                bytes(
                    ProduceRequest(
                        acks: .durable,
                        topic: "t",
                        partitions: [
                            .init(partition: -1, hasMessageIDs: true, records: records),
                            .init(partition: 2, records: ByteBuffer(bytes: [1])),
                        ]
                    )
                ),
                bytes(
                    ProduceResponse(
                        topic: "t",
                        partitions: [
                            .init(partition: 0, baseOffset: 5, lastOffset: 6, recordOffsets: [5, 6]),
                            .failure(partition: 1, .storageError, "disk"),
                        ]
                    )
                )
            ),
            (
                .fetch,
                bytes(
                    FetchRequest(
                        maxWaitMilliseconds: 100,
                        maxBytes: 4096,
                        topics: [.init(topic: "t", partitions: [.init(partition: 0, offset: 3, maxBytes: 512)])]
                    )
                ),
                bytes(
                    FetchResponse(topics: [
                        .init(
                            topic: "t",
                            partitions: [
                                .init(partition: 0, logStartOffset: 0, logEndOffset: 9, records: records),
                                .init(
                                    partition: 1,
                                    errorCode: .offsetOutOfRange,
                                    errorMessage: "range",
                                    logStartOffset: 4,
                                    logEndOffset: 9
                                ),
                            ]
                        )
                    ])
                )
            ),
            (
                .listOffsets,
                bytes(ListOffsetsRequest(topic: "t", partitions: [.init(partition: 0, timestamp: -2)])),
                bytes(
                    ListOffsetsResponse(
                        topic: "t",
                        partitions: [.init(partition: 0, offset: 1, logStartOffset: 0, logEndOffset: 2)]
                    )
                )
            ),
            (
                .createTopic, bytes(CreateTopicRequest(topic: "t", partitionCount: 3, retentionBytes: -1)),
                bytes(CreateTopicResponse(failed))
            ),
            (
                .listTopics, bytes(ListTopicsRequest()),
                bytes(ListTopicsResponse(topics: [.init(topic: "t", partitionCount: 3)]))
            ),
            (
                .describeTopic, bytes(DescribeTopicRequest(topic: "t")),
                bytes(
                    DescribeTopicResponse(
                        topic: "t",
                        segmentBytes: 1024,
                        partitions: [
                            .init(partition: 0, logStartOffset: 0, logEndOffset: 1, sizeBytes: 70, segmentCount: 1)
                        ]
                    )
                )
            ),
            (.deleteTopic, bytes(DeleteTopicRequest(topic: "t")), bytes(DeleteTopicResponse(AdministrationResult()))),
            (
                .addPartitions, bytes(AddPartitionsRequest(topic: "t", partitionCount: 4)),
                bytes(AddPartitionsResponse(failed))
            ),
            (
                .brokerStatus, bytes(BrokerStatusRequest()),
                bytes(sampleStatus(operations: nil))
            ),
            (
                .initProducer, bytes(InitProducerRequest()),
                bytes(InitProducerResponse(producerID: 7, producerEpoch: 0))
            ),
        ] + groupAndScheduleMessages()
    }

    /// A `brokerStatus` response: v0, or v1 with `operations`.
    static func sampleStatus(operations: BrokerStatusResponse.Operations?) -> BrokerStatusResponse {
        BrokerStatusResponse(
            brokerVersion: "1",
            uptimeMilliseconds: 5,
            topicCount: 1,
            partitionCount: 3,
            connectionCount: 1,
            logBytes: 70,
            dataDirectory: "./data",
            operations: operations
        )
    }
}
