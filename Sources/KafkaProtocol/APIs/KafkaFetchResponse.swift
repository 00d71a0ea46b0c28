import NIOCore

/// Fetch response (key 1), versions 4-11.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | ThrottleTimeMs | INT32 | 1+ |
/// | ErrorCode | INT16 | 7+ |
/// | SessionId | INT32 | 7+ |
/// | Responses | ARRAY of (STRING Topic, ARRAY of ``Partition``) | 0+ |
///
/// A partition: INT32 PartitionIndex, INT16 ErrorCode, INT64 HighWatermark, INT64
/// LastStableOffset (v4+), INT64 LogStartOffset (v5+), nullable ARRAY AbortedTransactions of
/// (INT64 ProducerId, INT64 FirstOffset) (v4+), INT32 PreferredReadReplica (v11+),
/// NULLABLE_BYTES Records. Decoded records are slices of the response frame.
/// From `FetchResponse.json`.
public struct KafkaFetchResponse: KafkaResponseBody {
    /// Fetch.
    public static let apiKey = KafkaAPIKey.fetch

    /// One topic's data.
    public struct Topic: Hashable, Sendable {
        /// The topic's name.
        public var name: String
        /// The per-partition data.
        public var partitions: [Partition]

        /// Creates a topic entry.
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// An aborted transaction within the returned records (v4+).
    public struct AbortedTransaction: Hashable, Sendable {
        /// The producer that aborted.
        public var producerID: Int64
        /// The first offset of the aborted transaction.
        public var firstOffset: Int64

        /// Creates an entry.
        public init(producerID: Int64, firstOffset: Int64) {
            self.producerID = producerID
            self.firstOffset = firstOffset
        }
    }

    /// One partition's data.
    public struct Partition: Hashable, Sendable {
        /// The partition number.
        public var partitionIndex: Int32
        /// The error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode
        /// The offset after the last committed record.
        public var highWatermark: Int64
        /// The last stable offset (v4+; -1 for unknown).
        public var lastStableOffset: Int64
        /// The partition's log start offset (v5+; -1 for unknown).
        public var logStartOffset: Int64
        /// Aborted transactions in the records (v4+), or nil.
        public var abortedTransactions: [AbortedTransaction]?
        /// The replica to read from next (v11+; -1 for the leader).
        public var preferredReadReplica: Int32
        /// The record batches, or nil.
        public var records: ByteBuffer?

        /// Creates a partition entry.
        public init(
            partitionIndex: Int32,
            errorCode: KafkaErrorCode = .none,
            highWatermark: Int64,
            lastStableOffset: Int64 = -1,
            logStartOffset: Int64 = -1,
            abortedTransactions: [AbortedTransaction]? = nil,
            preferredReadReplica: Int32 = -1,
            records: ByteBuffer?
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.abortedTransactions = abortedTransactions
            self.preferredReadReplica = preferredReadReplica
            self.records = records
        }
    }

    /// Throttle time.
    public var throttleTimeMs: Int32
    /// The top-level error (v7+), or ``KafkaErrorCode/none``.
    public var errorCode: KafkaErrorCode
    /// The fetch session id (v7+; 0 for none).
    public var sessionID: Int32
    /// The per-topic data.
    public var topics: [Topic]

    /// Creates a response.
    public init(throttleTimeMs: Int32 = 0, errorCode: KafkaErrorCode = .none, sessionID: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionID = sessionID
        self.topics = topics
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        throttleTimeMs = try reader.readInt32("FetchResponse.ThrottleTimeMs")
        errorCode = version >= 7 ? KafkaErrorCode(rawValue: try reader.readInt16("FetchResponse.ErrorCode")) : .none
        sessionID = version >= 7 ? try reader.readInt32("FetchResponse.SessionId") : 0
        topics = try reader.readArray("FetchResponse.Responses", minimumElementBytes: 6) { reader in
            Topic(
                name: try reader.readString("FetchResponse.Responses.Topic"),
                partitions: try reader.readArray(
                    "FetchResponse.Responses.Partitions",
                    // Index, error, high watermark, last stable offset, null aborted list and
                    // null records (30 bytes), plus the log start offset from v5.
                    minimumElementBytes: version >= 5 ? 38 : 30
                ) {
                    try Self.decodePartition(from: &$0, version: version)
                }
            )
        }
    }

    private static func decodePartition(from reader: inout KafkaReader, version: Int16) throws -> Partition {
        let field = "FetchResponse.Responses.Partitions"
        var partition = Partition(
            partitionIndex: try reader.readInt32("\(field).PartitionIndex"),
            errorCode: KafkaErrorCode(rawValue: try reader.readInt16("\(field).ErrorCode")),
            highWatermark: try reader.readInt64("\(field).HighWatermark"),
            records: nil
        )
        partition.lastStableOffset = try reader.readInt64("\(field).LastStableOffset")
        if version >= 5 { partition.logStartOffset = try reader.readInt64("\(field).LogStartOffset") }
        partition.abortedTransactions = try reader.readNullableArray(
            "\(field).AbortedTransactions",
            minimumElementBytes: 16
        ) { reader in
            AbortedTransaction(
                producerID: try reader.readInt64("\(field).AbortedTransactions.ProducerId"),
                firstOffset: try reader.readInt64("\(field).AbortedTransactions.FirstOffset")
            )
        }
        if version >= 11 { partition.preferredReadReplica = try reader.readInt32("\(field).PreferredReadReplica") }
        partition.records = try reader.readNullableBytes("\(field).Records")
        return partition
    }

    /// Encodes the body as `version` (the records are copied into `buffer`; see
    /// ``encodeFrameSegments(version:correlationID:)`` for a frame that does not copy them).
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        encode(into: &buffer, version: version) { buffer, records in buffer.writeKafkaNullableBytes(records) }
    }

    /// Encodes the body, writing each partition's NULLABLE_BYTES records with `writeRecords`.
    func encode(
        into buffer: inout ByteBuffer,
        version: Int16,
        writeRecords: (inout ByteBuffer, ByteBuffer?) -> Void
    ) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        buffer.writeInteger(throttleTimeMs)
        if version >= 7 {
            buffer.writeInteger(errorCode.rawValue)
            buffer.writeInteger(sessionID)
        }
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.errorCode.rawValue)
                buffer.writeInteger(partition.highWatermark)
                buffer.writeInteger(partition.lastStableOffset)
                if version >= 5 { buffer.writeInteger(partition.logStartOffset) }
                buffer.writeKafkaNullableArray(partition.abortedTransactions, flexible: false) { buffer, aborted in
                    buffer.writeInteger(aborted.producerID)
                    buffer.writeInteger(aborted.firstOffset)
                }
                if version >= 11 { buffer.writeInteger(partition.preferredReadReplica) }
                writeRecords(&buffer, partition.records)
            }
        }
    }
}
