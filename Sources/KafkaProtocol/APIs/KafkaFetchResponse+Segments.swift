import NIOCore

extension KafkaFetchResponse {
    /// Encodes a whole response frame (size prefix, header v0, body) as a list of buffers whose
    /// concatenation is the frame, with every partition's records as its own buffer: the
    /// records' own bytes (for example a slice read from a segment file), never copied.
    ///
    /// The listener writes the buffers in order and flushes once. The other buffers hold the
    /// fixed fields between two record sets (typically a few dozen bytes each).
    /// - Returns: at least one buffer; the first starts with the INT32 size of the frame.
    public func encodeFrameSegments(version: Int16, correlationID: Int32) -> [ByteBuffer] {
        var segments: [ByteBuffer] = []
        var current = ByteBuffer()
        current.writeInteger(Int32(0))  // the size, set below
        KafkaResponseHeader(correlationID: correlationID).encode(
            into: &current,
            headerVersion: KafkaAPIVersions.responseHeaderVersion(apiKey: Self.apiKey, apiVersion: version)
        )
        encode(into: &current, version: version) { buffer, records in
            guard let records, records.readableBytes > 0 else {
                buffer.writeKafkaNullableBytes(records)
                return
            }
            buffer.writeInteger(Int32(records.readableBytes))
            segments.append(buffer)
            segments.append(records)
            buffer = ByteBuffer()
        }
        segments.append(current)
        let size = segments.reduce(0) { $0 + $1.readableBytes } - 4
        precondition(size <= Int(Int32.max), "a Kafka frame holds at most 2^31-1 bytes")
        segments[0].setInteger(Int32(size), at: segments[0].readerIndex)
        return segments.filter { $0.readableBytes > 0 }
    }
}
