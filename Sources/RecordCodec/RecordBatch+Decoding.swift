import NIOCore

extension RecordBatch {
    /// The default most bytes the records of one compressed batch may decompress to: 32 MiB,
    /// four times the default 8 MiB `maxBatchBytes`. Past it, decoding stops with
    /// ``RecordBatchError/Code/decompressedTooLarge`` (a "zip bomb" is refused, not inflated).
    public static let defaultMaxDecompressedBytes = 32 << 20

    /// Checks that the records fill the batch exactly: `recordCount` records, each with offset
    /// delta equal to its index and well-formed lengths, `lastOffsetDelta == recordCount - 1`,
    /// and no bytes left over; and that the header's `maxTimestamp` is the largest record
    /// timestamp (it drives time lookups and retention, so it must not lie). Batches with the
    /// log-append-time attribute are exempt from the timestamp check. Allocates nothing for
    /// uncompressed records without headers.
    ///
    /// A gzip batch's records section is decompressed first (at most `maxDecompressedBytes`),
    /// and the checks apply to the decompressed records; the stream must end exactly at the end
    /// of the batch.
    ///
    /// - Throws: ``RecordBatchError`` (`recordCountMismatch`, `truncatedRecord`, `varintOverflow`,
    ///   `unsupportedCompression`, `corruptCompressedData`, `decompressedTooLarge`, `invalidBatch`)
    ///   with the byte position relative to the batch (for a record inside compressed data: the
    ///   start of the records section; the message gives the position in the decompressed bytes).
    public func validateRecords(maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes) throws {
        guard !areRecordsValidated else { return }
        let (bytes, start) = try recordBytes(maxDecompressedBytes: maxDecompressedBytes)
        try walkRecords(in: bytes, from: start) { _, _, _ in }
    }

    /// Checks the records as ``validateRecords(maxDecompressedBytes:)`` does, and also that every
    /// timestamp (each record's `baseTimestamp + timestampDelta`, and the header's `maxTimestamp`)
    /// lies in `range` and is computed without overflowing `Int64`. Deltas may be negative:
    /// Kafka's Java client takes the first record's timestamp as the base.
    ///
    /// The codec itself accepts any `Int64` timestamp (a log written earlier is still readable);
    /// a broker calls this on what producers send (Sluice accepts `-1`, "none", and
    /// `0 ... now + maxTimestampAheadMilliseconds`).
    /// - Returns: the batch, marked so that ``validateRecords(maxDecompressedBytes:)`` (which
    ///   ``PartitionLog/append(_:)`` calls) does not walk (or decompress) the records again.
    /// - Throws: as ``validateRecords(maxDecompressedBytes:)``, and ``RecordBatchError``
    ///   `invalidTimestamp` with the byte position of the field at fault.
    public func validatingRecords(
        timestampsWithin range: ClosedRange<Int64>,
        maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes
    ) throws -> RecordBatch {
        guard range.contains(maxTimestamp) else {
            throw RecordBatchError(
                .invalidTimestamp,
                "header maxTimestamp \(maxTimestamp) is outside \(range.lowerBound)...\(range.upperBound)",
                position: Int64(Field.maxTimestamp)
            )
        }
        let (bytes, start) = try recordBytes(maxDecompressedBytes: maxDecompressedBytes)
        try walkRecords(in: bytes, from: start, timestampsWithin: range) { _, _, _ in }
        var validated = self
        validated.areRecordsValidated = true
        return validated
    }

    /// Decodes every record, decompressing a gzip batch first (at most `maxDecompressedBytes`).
    /// Keys, values and header values share the batch's storage (for a gzip batch: the
    /// decompressed bytes). Offsets are `baseOffset + offsetDelta`, compressed or not.
    ///
    /// - Throws: as ``validateRecords(maxDecompressedBytes:)``.
    public func records(maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes) throws -> [Record] {
        var result: [Record] = []
        result.reserveCapacity(Int(max(0, min(recordCount, 1 << 16))))
        let baseOffset = self.baseOffset
        let baseTimestamp = self.baseTimestamp
        let (bytes, start) = try recordBytes(maxDecompressedBytes: maxDecompressedBytes)
        func slice(_ range: Range<Int>) -> ByteBuffer {
            bytes.getSlice(at: bytes.readerIndex + range.lowerBound, length: range.count)!
        }
        try walkRecords(in: bytes, from: start) { index, timestampDelta, layout in
            let headers = layout.headers.map { header in
                RecordHeader(
                    key: bytes.getString(at: bytes.readerIndex + header.key.lowerBound, length: header.key.count)
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

    /// The bytes the records are read from and where the first record starts: the batch itself
    /// from byte 61, or the decompressed records section from byte 0.
    ///
    /// The header checks that need no decompression come first, so that a batch whose count is
    /// wrong is refused without inflating anything.
    private func recordBytes(maxDecompressedBytes: Int) throws -> (ByteBuffer, Int) {
        try checkCompression()
        try checkRecordCount()
        guard compression == .gzip else { return (buffer, Self.headerSize) }
        let compressed = buffer.getSlice(
            at: buffer.readerIndex + Self.headerSize,
            length: buffer.readableBytes - Self.headerSize
        )!
        return (try Gzip.decompress(compressed, limit: maxDecompressedBytes), 0)
    }

    private func checkRecordCount() throws {
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
    }

    /// Where one record's parts lie, as byte ranges relative to the batch start.
    struct RecordLayout {
        var key: Range<Int>?
        var value: Range<Int>?
        var headers: [(key: Range<Int>, value: Range<Int>?)]
    }

    /// Walks the records in `bytes` from `start`, checking every length, and calls `body` with
    /// each record's index, timestamp delta and layout (ranges relative to `bytes`); at the end
    /// checks the header's `maxTimestamp` against the records (unless the batch uses log-append
    /// time). For decompressed records (`bytes` is not the batch), an error inside them is
    /// placed at the start of the records section and its message gives the decompressed position.
    private func walkRecords(
        in bytes: ByteBuffer,
        from start: Int,
        timestampsWithin range: ClosedRange<Int64>? = nil,
        _ body: (Int, Int64, RecordLayout) throws -> Void
    ) throws {
        guard start == 0 else {
            return try walkRecordBytes(in: bytes, from: start, timestampsWithin: range, body)
        }
        do {
            try walkRecordBytes(in: bytes, from: start, timestampsWithin: range, body)
        } catch var error as RecordBatchError where error.position.map({ $0 >= 0 }) ?? false {
            if error.code != .invalidBatch || error.position != Int64(Field.maxTimestamp) {
                error.message = "\(error.message) (at byte \(error.position!) of the decompressed records)"
                error.position = Int64(Self.headerSize)
            }
            throw error
        }
    }

    private func walkRecordBytes(
        in bytes: ByteBuffer,
        from start: Int,
        timestampsWithin range: ClosedRange<Int64>?,
        _ body: (Int, Int64, RecordLayout) throws -> Void
    ) throws {
        let count = recordCount
        var largestTimestampDelta = Int64.min
        try bytes.withUnsafeReadableBytes { bytes in
            var cursor = ByteCursor(bytes, position: start)
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
