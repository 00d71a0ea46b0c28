import NIOCore

/// Produce response (key 0), versions 3-8.
///
/// | Field | Type | Versions |
/// |---|---|---|
/// | Responses | ARRAY of (STRING Name, ARRAY of ``Partition``) | 0+ |
/// | ThrottleTimeMs | INT32 | 1+ |
///
/// A partition: INT32 PartitionIndex, INT16 ErrorCode, INT64 BaseOffset, INT64 LogAppendTimeMs
/// (v2+), INT64 LogStartOffset (v5+), ARRAY RecordErrors of (INT32 BatchIndex,
/// NULLABLE_STRING BatchIndexErrorMessage) (v8+), NULLABLE_STRING ErrorMessage (v8+).
/// From `ProduceResponse.json`.
public struct KafkaProduceResponse: KafkaResponseBody {
    /// Produce.
    public static let apiKey = KafkaAPIKey.produce

    /// One topic's results.
    public struct Topic: Hashable, Sendable {
        /// The topic's name.
        public var name: String
        /// The per-partition results.
        public var partitions: [Partition]

        /// Creates a topic entry.
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    /// One record that made the broker drop its batch (v8+).
    public struct RecordError: Hashable, Sendable {
        /// The record's index within its batch.
        public var batchIndex: Int32
        /// Why, or nil.
        public var message: String?

        /// Creates a record error.
        public init(batchIndex: Int32, message: String?) {
            self.batchIndex = batchIndex
            self.message = message
        }
    }

    /// One partition's result.
    public struct Partition: Hashable, Sendable {
        /// The partition number.
        public var partitionIndex: Int32
        /// The error, or ``KafkaErrorCode/none``.
        public var errorCode: KafkaErrorCode
        /// The offset given to the first record written (-1 on error).
        public var baseOffset: Int64
        /// The broker's append time for LogAppendTime topics, else -1 (v2+).
        public var logAppendTimeMs: Int64
        /// The partition's log start offset (v5+; -1 before).
        public var logStartOffset: Int64
        /// The records that made the batch fail (v8+).
        public var recordErrors: [RecordError]
        /// A summary of why the batch failed (v8+), or nil.
        public var errorMessage: String?

        /// Creates a partition result.
        public init(
            partitionIndex: Int32,
            errorCode: KafkaErrorCode = .none,
            baseOffset: Int64,
            logAppendTimeMs: Int64 = -1,
            logStartOffset: Int64 = -1,
            recordErrors: [RecordError] = [],
            errorMessage: String? = nil
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
            self.recordErrors = recordErrors
            self.errorMessage = errorMessage
        }
    }

    /// The per-topic results.
    public var topics: [Topic]
    /// Throttle time (v1+).
    public var throttleTimeMs: Int32

    /// Creates a response.
    public init(topics: [Topic], throttleTimeMs: Int32 = 0) {
        self.topics = topics
        self.throttleTimeMs = throttleTimeMs
    }

    /// Decodes the body of `version`.
    public init(from reader: inout KafkaReader, version: Int16) throws {
        try KafkaAPIVersions.checkSupported(Self.apiKey, version: version)
        topics = try reader.readArray("ProduceResponse.Responses", minimumElementBytes: 6) { reader in
            Topic(
                name: try reader.readString("ProduceResponse.Responses.Name"),
                partitions: try reader.readArray("ProduceResponse.Responses.Partitions", minimumElementBytes: 14) {
                    try Self.decodePartition(from: &$0, version: version)
                }
            )
        }
        throttleTimeMs = try reader.readInt32("ProduceResponse.ThrottleTimeMs")
    }

    private static func decodePartition(from reader: inout KafkaReader, version: Int16) throws -> Partition {
        let field = "ProduceResponse.Responses.Partitions"
        var partition = Partition(
            partitionIndex: try reader.readInt32("\(field).PartitionIndex"),
            errorCode: KafkaErrorCode(rawValue: try reader.readInt16("\(field).ErrorCode")),
            baseOffset: try reader.readInt64("\(field).BaseOffset")
        )
        partition.logAppendTimeMs = try reader.readInt64("\(field).LogAppendTimeMs")
        if version >= 5 { partition.logStartOffset = try reader.readInt64("\(field).LogStartOffset") }
        if version >= 8 {
            partition.recordErrors = try reader.readArray("\(field).RecordErrors", minimumElementBytes: 6) { reader in
                RecordError(
                    batchIndex: try reader.readInt32("\(field).RecordErrors.BatchIndex"),
                    message: try reader.readNullableString("\(field).RecordErrors.BatchIndexErrorMessage")
                )
            }
            partition.errorMessage = try reader.readNullableString("\(field).ErrorMessage")
        }
        return partition
    }

    /// Encodes the body as `version`.
    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        KafkaAPIVersions.requireSupported(Self.apiKey, version: version)
        buffer.writeKafkaArray(topics, flexible: false) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions, flexible: false) { buffer, partition in
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.errorCode.rawValue)
                buffer.writeInteger(partition.baseOffset)
                buffer.writeInteger(partition.logAppendTimeMs)
                if version >= 5 { buffer.writeInteger(partition.logStartOffset) }
                if version >= 8 {
                    buffer.writeKafkaArray(partition.recordErrors, flexible: false) { buffer, recordError in
                        buffer.writeInteger(recordError.batchIndex)
                        buffer.writeKafkaNullableMessage(recordError.message)
                    }
                    buffer.writeKafkaNullableMessage(partition.errorMessage)
                }
            }
        }
        buffer.writeInteger(throttleTimeMs)
    }
}
