import NIOCore
import RecordCodec

extension Segment {
    /// What a read of one segment found.
    enum ReadResult {
        /// Whole valid batches from the one holding the offset, and their bytes.
        case batches(ByteBuffer, [RecordBatch])
        /// The offset lies in damaged bytes; no valid batch holds these offsets.
        case lost(Range<Int64>)
        /// The offset is at or past the segment's end.
        case end
    }

    /// Reads whole batches starting with the one that holds `offset`, up to `maxBytes` (at least
    /// one batch). Every returned batch has passed its length, magic, CRC and offset checks. A
    /// read stops before a damaged batch; a read that starts in one reports the offsets lost to it
    /// (up to the next valid batch, found as recovery finds it) so that the reader can step over.
    func read(from offset: Int64, maxBytes: Int) throws -> ReadResult {
        guard offset < nextOffset else { return .end }
        if let region = damagedRegions.first(where: { $0.offsets.contains(offset) }) { return .lost(region.offsets) }
        // Find the batch holding `offset` by walking headers from the nearest index entry (or from
        // the end of a damaged region already found before it).
        var start = offsetIndex.lookup(offset)
        let trusted = trustedStart(below: offset)
        if trusted.position >= start.position { start = trusted }
        // Headers are walked without their CRCs from wherever the index says. After a walk fails
        // it is walked again with them (a damaged header, a wrong last offset delta, shows only at
        // the batch after it), and from a start that does not depend on the index (an index entry
        // damaged into a plausible one would make intact batches look lost).
        var isCareful = false
        while true {
            var scanner = makeScanner(
                from: start,
                // A careful walk may cover the whole segment: read ahead in larger windows.
                windowBytes: isCareful
                    ? BatchScanner.resyncWindowBytes : configuration.indexIntervalBytes + RecordBatch.headerSize + 4096,
                verifyChecksums: isCareful,
                offsetLimit: nextOffset
            )
            var first: (batch: RecordBatch, position: Int64)?
            do {
                while let candidate = try scanner.next() {
                    if candidate.batch.lastOffset >= offset {
                        first = candidate
                        break
                    }
                }
            } catch let error as LogStoreError where error.code != .ioFailure {
                if !isCareful {
                    isCareful = true
                    start = trustedStart(below: offset)
                    continue
                }
                let region = try damagedRegion(at: scanner.position, expectedOffset: scanner.expectedOffset)
                if region.offsets.contains(offset) { return .lost(region.offsets) }
                start = region.resume
                continue
            }
            guard let (firstBatch, position) = first else { return .end }
            let (bytes, batches) = try readBatches(from: firstBatch, at: position, maxBytes: maxBytes)
            if !batches.isEmpty { return .batches(bytes, batches) }
            // The batch holding `offset` fails its checks: sure of it only after a careful walk.
            if !isCareful {
                isCareful = true
                start = trustedStart(below: offset)
                continue
            }
            let region = try damagedRegion(at: position, expectedOffset: firstBatch.baseOffset)
            if region.offsets.contains(offset) { return .lost(region.offsets) }
            start = region.resume
        }
    }

    /// The valid batches from `firstBatch` (whose header was walked to), up to `maxBytes` (at
    /// least one); none if `firstBatch` itself fails its checks.
    private func readBatches(
        from firstBatch: RecordBatch,
        at start: Int64,
        maxBytes: Int
    ) throws -> (bytes: ByteBuffer, batches: [RecordBatch]) {
        let count = Int(min(size - start, Int64(max(maxBytes, firstBatch.sizeInBytes))))
        var bytes = try log.read(at: start, count: count)
        guard bytes.readableBytes == count else {
            throw LogStoreError(.badLength, "file ended early during a read", path: log.path, position: start)
        }
        var batches: [RecordBatch] = []
        var used = 0
        var expected = firstBatch.baseOffset
        while bytes.readableBytes - used >= RecordBatch.logOverhead {
            let length = bytes.getInteger(at: bytes.readerIndex + used + RecordBatch.Field.batchLength, as: Int32.self)!
            let batchSize = Int(length) + RecordBatch.logOverhead
            guard length >= RecordBatch.minimumBatchLength, batchSize <= bytes.readableBytes - used else { break }
            if used > 0 && used + batchSize > maxBytes { break }
            // A batch that fails its checks ends the read; the next read starting there reports it.
            guard
                let batch = try? RecordBatch(
                    validating: bytes.getSlice(at: bytes.readerIndex + used, length: batchSize)!,
                    maxBatchBytes: LogConfiguration.segmentBytesLimit
                ),
                batch.baseOffset == expected, batch.hasValidOffsetRange, batch.lastOffset < nextOffset
            else { break }
            expected = batch.lastOffset + 1
            batches.append(batch)
            used += batchSize
        }
        bytes.moveWriterIndex(to: bytes.readerIndex + used)
        return (bytes, batches)
    }

    /// Damaged bytes found by a read, and where reading resumes after them.
    struct DamagedRegion {
        /// The offsets no valid batch holds.
        var offsets: Range<Int64>
        /// The first valid batch after the damage (or the segment's end).
        var resume: OffsetIndex.Entry
    }

    /// Where a walk to `offset` can start without trusting the index: after the last damaged region
    /// below `offset` that a read already found, or at the segment's start.
    private func trustedStart(below offset: Int64) -> OffsetIndex.Entry {
        var start = OffsetIndex.Entry(offset: baseOffset, position: 0)
        for region in damagedRegions
        where region.offsets.upperBound <= offset && region.resume.position > start.position {
            start = region.resume
        }
        return start
    }

    /// How many damaged regions a segment remembers, so that reads do not search again for the
    /// end of each one; past this, reads search again.
    static let damagedRegionsLimit = 64

    /// The damaged region starting at `position`, where a batch with base offset
    /// `expectedOffset` was due: it ends at the next valid batch (found as recovery finds it), or
    /// at the segment's end.
    private func damagedRegion(at position: Int64, expectedOffset: Int64) throws -> DamagedRegion {
        let resume = try BatchScanner.findResumePoint(
            in: log,
            after: position,
            end: size,
            offsets: expectedOffset..<nextOffset,
            maxBatchBytes: LogConfiguration.segmentBytesLimit
        )
        let region = DamagedRegion(
            offsets: expectedOffset..<(resume?.baseOffset ?? nextOffset),
            resume: resume.map { OffsetIndex.Entry(offset: $0.baseOffset, position: $0.position) }
                ?? OffsetIndex.Entry(offset: nextOffset, position: size)
        )
        if damagedRegions.count < Self.damagedRegionsLimit { damagedRegions.append(region) }
        return region
    }

    /// The offset of the first record with a timestamp at or after `timestamp`, or `nil` if no
    /// record in this segment has one.
    /// Damaged bytes on the way are stepped over, as a read steps over them.
    func offset(atOrAfterTimestamp timestamp: Int64) throws -> Int64? {
        guard maxTimestamp >= timestamp else { return nil }
        let startOffset = timeIndex.lookup(timestamp)
        var start = offsetIndex.lookup(startOffset)
        var isCareful = false
        while true {
            var scanner = makeScanner(
                from: start,
                windowBytes: 64 << 10,
                verifyChecksums: true,
                offsetLimit: nextOffset
            )
            do {
                while let (batch, _) = try scanner.next() {
                    guard batch.maxTimestamp >= timestamp, batch.lastOffset >= startOffset else { continue }
                    let limit = configuration.maxDecompressedBatchBytes
                    for record in try decodingBatch({ try batch.records(maxDecompressedBytes: limit) })
                    where record.timestamp >= timestamp && record.offset >= startOffset {
                        return record.offset
                    }
                }
                return nil
            } catch let error as LogStoreError where error.code != .ioFailure {
                // As for a read: first walk again from a start that does not depend on the index.
                if !isCareful {
                    isCareful = true
                    start = trustedStart(below: startOffset)
                    continue
                }
                let region = try damagedRegion(at: scanner.position, expectedOffset: scanner.expectedOffset)
                guard region.resume.position > scanner.position else { return nil }
                start = region.resume
            }
        }
    }
}
