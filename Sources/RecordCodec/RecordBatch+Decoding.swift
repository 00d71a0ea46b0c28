import NIOCore

extension RecordBatch {
    /// Checks that the records fill the batch exactly: `recordCount` records, each with offset
    /// delta equal to its index and well-formed lengths, `lastOffsetDelta == recordCount - 1`,
    /// and no bytes left over; and that the header's `maxTimestamp` is the largest record
    /// timestamp (it drives time lookups and retention, so it must not lie). Batches with the
    /// log-append-time attribute are exempt from the timestamp check. Allocates nothing for
    /// records without headers.
    ///
    /// - Throws: ``RecordBatchError`` (`recordCountMismatch`, `truncatedRecord`, `varintOverflow`,
    ///   `unsupportedCompression`, `invalidBatch`) with the byte position relative to the batch.
    public func validateRecords() throws {
        guard !areRecordsValidated else { return }
        try walkRecords { _, _, _ in }
    }

    /// Checks the records as ``validateRecords()`` does, and also that every timestamp (each
    /// record's `baseTimestamp + timestampDelta`, and the header's `maxTimestamp`) lies in
    /// `range` and is computed without overflowing `Int64`. Deltas may be negative: Kafka's Java
    /// client takes the first record's timestamp as the base.
    ///
    /// The codec itself accepts any `Int64` timestamp (a log written earlier is still readable);
    /// a broker calls this on what producers send (Sluice accepts `-1`, "none", and
    /// `0 ... now + maxTimestampAheadMilliseconds`).
    /// - Returns: the batch, marked so that ``validateRecords()`` (which ``PartitionLog/append(_:)``
    ///   calls) does not walk the records again.
    /// - Throws: as ``validateRecords()``, and ``RecordBatchError`` `invalidTimestamp` with the byte
    ///   position of the field at fault.
    public func validatingRecords(timestampsWithin range: ClosedRange<Int64>) throws -> RecordBatch {
        guard range.contains(maxTimestamp) else {
            throw RecordBatchError(
                .invalidTimestamp,
                "header maxTimestamp \(maxTimestamp) is outside \(range.lowerBound)...\(range.upperBound)",
                position: Int64(Field.maxTimestamp)
            )
        }
        try walkRecords(timestampsWithin: range) { _, _, _ in }
        var validated = self
        validated.areRecordsValidated = true
        return validated
    }

    /// Decodes every record. Keys, values and header values share the batch's storage.
    ///
    /// - Throws: as ``validateRecords()``.
    public func records() throws -> [Record] {
        var result: [Record] = []
        result.reserveCapacity(Int(max(0, min(recordCount, 1 << 16))))
        let baseOffset = self.baseOffset
        let baseTimestamp = self.baseTimestamp
        try walkRecords { index, timestampDelta, layout in
            let headers = layout.headers.map { header in
                RecordHeader(
                    key: buffer.getString(at: buffer.readerIndex + header.key.lowerBound, length: header.key.count)
                        ?? "",
                    value: header.value.map { slice($0) }
                )
            }
            result.append(
                Record(
                    key: layout.key.map { slice($0) },
                    value: layout.value.map { slice($0) },
                    headers: headers,
                    timestamp: baseTimestamp &+ timestampDelta,
                    offset: baseOffset &+ Int64(index)
                )
            )
        }
        return result
    }

    private func slice(_ range: Range<Int>) -> ByteBuffer {
        buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!
    }

    /// Where one record's parts lie, as byte ranges relative to the batch start.
    struct RecordLayout {
        var key: Range<Int>?
        var value: Range<Int>?
        var headers: [(key: Range<Int>, value: Range<Int>?)]
    }

    /// Walks the records, checking every length, and calls `body` with each record's index,
    /// timestamp delta and layout; at the end checks the header's `maxTimestamp` against the
    /// records (unless the batch uses log-append time).
    private func walkRecords(
        timestampsWithin range: ClosedRange<Int64>? = nil,
        _ body: (Int, Int64, RecordLayout) throws -> Void
    ) throws {
        guard compressionCodec == 0 else {
            throw RecordBatchError(
                .unsupportedCompression,
                "batch uses compression codec \(compressionCodec); only uncompressed batches are supported",
                position: Int64(Field.attributes)
            )
        }
        let count = recordCount
        guard count >= 0 else {
            throw RecordBatchError(
                .recordCountMismatch,
                "record count \(count) is negative",
                position: Int64(Field.recordCount)
            )
        }
        if count > 0, lastOffsetDelta != count - 1 {
            throw RecordBatchError(
                .recordCountMismatch,
                "lastOffsetDelta \(lastOffsetDelta) does not match record count \(count)",
                position: Int64(Field.lastOffsetDelta)
            )
        }
        var largestTimestampDelta = Int64.min
        try buffer.withUnsafeReadableBytes { bytes in
            var cursor = ByteCursor(bytes, position: Self.headerSize)
            for index in 0..<Int(count) {
                guard cursor.remaining > 0 else {
                    throw RecordBatchError(
                        .recordCountMismatch,
                        "batch declares \(count) records but its bytes end after \(index)",
                        position: Int64(cursor.position)
                    )
                }
                let recordStart = cursor.position
                let length = try cursor.readVarint("record \(index) length")
                guard length >= 0, Int(length) <= cursor.remaining else {
                    throw RecordBatchError(
                        .truncatedRecord,
                        "record \(index) claims \(length) bytes but \(cursor.remaining) remain in the batch",
                        position: Int64(recordStart)
                    )
                }
                var record = ByteCursor(bytes, position: cursor.position, limit: cursor.position + Int(length))
                _ = try record.readInt8("record \(index) attributes")
                let timestampDeltaStart = record.position
                let timestampDelta = try record.readVarlong("record \(index) timestamp delta")
                if let range {
                    let (timestamp, overflows) = baseTimestamp.addingReportingOverflow(timestampDelta)
                    guard !overflows, range.contains(timestamp) else {
                        throw RecordBatchError(
                            .invalidTimestamp,
                            "record \(index) timestamp \(baseTimestamp) + \(timestampDelta) "
                                + (overflows ? "overflows Int64" : "= \(timestamp)")
                                + " is outside \(range.lowerBound)...\(range.upperBound)",
                            position: Int64(timestampDeltaStart)
                        )
                    }
                }
                let offsetDelta = try record.readVarint("record \(index) offset delta")
                guard offsetDelta == index else {
                    throw RecordBatchError(
                        .recordCountMismatch,
                        "record \(index) has offset delta \(offsetDelta), expected \(index)",
                        position: Int64(recordStart)
                    )
                }
                var layout = RecordLayout(key: nil, value: nil, headers: [])
                layout.key = try record.readNullableBytes("record \(index) key")
                layout.value = try record.readNullableBytes("record \(index) value")
                let headerCountStart = record.position
                let headerCount = try record.readVarint("record \(index) header count")
                guard headerCount >= 0, Int(headerCount) <= record.remaining else {
                    throw RecordBatchError(
                        .truncatedRecord,
                        "record \(index) declares \(headerCount) headers in \(record.remaining) bytes",
                        position: Int64(headerCountStart)
                    )
                }
                for headerIndex in 0..<Int(headerCount) {
                    let keyStart = record.position
                    guard let key = try record.readNullableBytes("record \(index) header \(headerIndex) key") else {
                        throw RecordBatchError(
                            .truncatedRecord,
                            "record \(index) header \(headerIndex) has a null key",
                            position: Int64(keyStart)
                        )
                    }
                    let value = try record.readNullableBytes("record \(index) header \(headerIndex) value")
                    layout.headers.append((key, value))
                }
                guard record.remaining == 0 else {
                    throw RecordBatchError(
                        .truncatedRecord,
                        "record \(index) has \(record.remaining) bytes after its headers inside its declared length",
                        position: Int64(record.position)
                    )
                }
                cursor.position = record.position
                largestTimestampDelta = max(largestTimestampDelta, timestampDelta)
                try body(index, timestampDelta, layout)
            }
            guard cursor.remaining == 0 else {
                throw RecordBatchError(
                    .recordCountMismatch,
                    "batch declares \(count) records but \(cursor.remaining) bytes follow the last one",
                    position: Int64(cursor.position)
                )
            }
        }
        let usesLogAppendTime = attributes & 0x8 != 0
        let largestTimestamp = baseTimestamp &+ largestTimestampDelta
        if count > 0, !usesLogAppendTime, largestTimestamp != maxTimestamp {
            throw RecordBatchError(
                .invalidBatch,
                "header maxTimestamp \(maxTimestamp) is not the largest record timestamp \(largestTimestamp)",
                position: Int64(Field.maxTimestamp)
            )
        }
    }
}

extension ByteCursor {
    /// Reads a varint length (`-1` for null) and skips that many bytes.
    /// - Returns: the byte range, or `nil` for null.
    mutating func readNullableBytes(_ what: @autoclosure () -> String) throws -> Range<Int>? {
        let start = position
        let length = try readVarint("\(what()) length")
        if length == -1 { return nil }
        guard length >= 0 else {
            throw RecordBatchError(.truncatedRecord, "\(what()) has negative length \(length)", position: Int64(start))
        }
        guard Int(length) <= remaining else {
            throw RecordBatchError(
                .truncatedRecord,
                "\(what()) claims \(length) bytes but \(remaining) remain in the record",
                position: Int64(start)
            )
        }
        let from = position
        position += Int(length)
        return from..<position
    }
}
