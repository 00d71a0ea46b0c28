import NIOCore
import RecordCodec

extension Producer {
    /// ``send(topic:key:value:headers:partition:messageID:timestamp:)`` with a text message id:
    /// the id is its UTF-8 bytes.
    public func send(
        topic: String,
        key: ByteBuffer? = nil,
        value: ByteBuffer?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        messageID: String,
        timestamp: Int64? = nil
    ) async throws -> RecordMetadata {
        try await send(
            topic: topic,
            key: key,
            value: value,
            headers: headers,
            partition: partition,
            messageID: ByteBuffer(string: messageID),
            timestamp: timestamp
        )
    }

    /// ``enqueue(topic:key:value:headers:partition:messageID:timestamp:)`` with a text message
    /// id: the id is its UTF-8 bytes.
    public func enqueue(
        topic: String,
        key: ByteBuffer? = nil,
        value: ByteBuffer?,
        headers: [RecordHeader] = [],
        partition: Int32? = nil,
        messageID: String,
        timestamp: Int64? = nil
    ) async throws -> PendingRecord {
        try await enqueue(
            topic: topic,
            key: key,
            value: value,
            headers: headers,
            partition: partition,
            messageID: ByteBuffer(string: messageID),
            timestamp: timestamp
        )
    }
}
