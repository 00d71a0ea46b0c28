import KafkaProtocol
import NIOCore

extension Seeds {
    /// The seeds of `FuzzKafkaRequests`: request frames (without their size prefix) of every
    /// served API at its lowest and highest version, an ApiVersions v4 request (unsupported), and
    /// an unknown API.
    public static func kafkaRequests() -> [String: [UInt8]] {
        var seeds: [String: [UInt8]] = [:]
        func add<Body: KafkaRequestBody>(_ name: String, _ body: Body, _ version: Int16) {
            var frame = body.encodeFrame(version: version, correlationID: 7, clientID: "fuzz")
            frame.moveReaderIndex(forwardBy: 4)
            seeds["\(name)-v\(version)"] = Array(frame.readableBytesView)
        }
        let batch = ByteBuffer(bytes: [UInt8](repeating: 0x11, count: 16))
        for version: Int16 in [0, 3] {
            add("apiVersions", KafkaAPIVersionsRequest(clientSoftwareName: "kc", clientSoftwareVersion: "1"), version)
        }
        for version: Int16 in [0, 1, 4, 8] {
            add("metadata", KafkaMetadataRequest(topics: ["orders"]), version)
        }
        for version: Int16 in [3, 8] {
            let topic = KafkaProduceRequest.Topic(
                name: "orders",
                partitions: [.init(partitionIndex: 0, records: batch)]
            )
            add("produce", KafkaProduceRequest(acks: 1, timeoutMs: 1000, topics: [topic]), version)
        }
        for version: Int16 in [4, 7, 11] {
            let partition = KafkaFetchRequest.Partition(partitionIndex: 0, fetchOffset: 5, partitionMaxBytes: 1 << 20)
            let request = KafkaFetchRequest(
                maxWaitMs: 500,
                minBytes: 1,
                topics: [.init(name: "orders", partitions: [partition])],
                forgottenTopics: version >= 7 ? [.init(name: "old", partitions: [1])] : []
            )
            add("fetch", request, version)
        }
        for version: Int16 in [0, 1, 5] {
            let partition = KafkaListOffsetsRequest.Partition(partitionIndex: 0, timestamp: -1)
            add(
                "listOffsets",
                KafkaListOffsetsRequest(topics: [.init(name: "orders", partitions: [partition])]),
                version
            )
        }
        for version: Int16 in [0, 1] {
            add("initProducerId", KafkaInitProducerIDRequest(transactionTimeoutMs: 60_000), version)
        }
        seeds["apiVersions-v4-unsupported"] = [0, 18, 0, 4, 0, 0, 0, 9, 0, 1, 0x6B, 0, 2, 0x6B, 2, 0x31, 0]
        seeds["unknown-api"] = [0, 99, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF]
        return seeds
    }
}
