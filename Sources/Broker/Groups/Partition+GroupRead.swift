import BrokerProtocol
import LogStore
import NIOCore
import RecordCodec

/// What a consumer group's dispatcher reads from a partition: whole batches exactly as stored (a
/// delivery sends them as they are) and, per record, its offset and key hash (for `key` ordering).
struct GroupRead: Sendable {
    /// One record's place in the read.
    struct Entry: Sendable, Hashable {
        var offset: Int64
        /// ``KeyHash`` of the record's key; `nil` for a record without a key.
        var keyHash: UInt64?
    }

    /// The batches read, each a slice of one read buffer.
    var batches: [RecordBatch]
    /// The records at or after the offset asked for, in offset order.
    var entries: [Entry]
    /// Where the next read starts: after the last batch read, or after offsets lost to damage.
    var nextOffset: Int64
    /// The log start offset when the read ran: offsets below it are gone (retention).
    var logStartOffset: Int64
    /// The log end offset when the read ran.
    var logEndOffset: Int64
}

extension KeyHash {
    /// The hash of a key's readable bytes.
    static func of(_ key: ByteBuffer) -> UInt64 { of(key.readableBytesView) }
}

extension Partition {
    /// The log's start and end offsets now (through the same look-up as `listOffsets`).
    /// - Throws: the partition's error (`shuttingDown` once it is closed).
    func logBounds() async throws -> (start: Int64, end: Int64) {
        let answer = try await offset(for: ListOffsetsRequest.latest).get()
        guard answer.errorCode == .none else { throw BrokerError(answer.errorCode, answer.errorMessage ?? "") }
        return (answer.logStartOffset, answer.logEndOffset)
    }

    /// Reads whole batches for a group's dispatcher from `offset` (or the log start, if retention
    /// has removed `offset`), up to about `maxBytes` (at least one batch), on the partition's loop.
    /// Offsets lost to damage on disk are stepped over: `nextOffset` goes past them.
    func readForGroup(from offset: Int64, maxBytes: Int) -> EventLoopFuture<GroupRead> {
        eventLoop.submit {
            let start = max(offset, self.log.logStartOffset)
            var read = GroupRead(
                batches: [],
                entries: [],
                nextOffset: start,
                logStartOffset: self.log.logStartOffset,
                logEndOffset: self.log.logEndOffset
            )
            guard start < self.log.logEndOffset else { return read }
            let result = try self.log.read(from: start, maxBytes: maxBytes)
            if let lost = result.lostOffsets {
                read.nextOffset = max(start, lost.upperBound)
                return read
            }
            for batch in result.batches {
                read.batches.append(batch)
                for record in try batch.records(
                    maxDecompressedBytes: self.configuration.limits.maxDecompressedBatchBytes
                )
                where record.offset >= start {
                    read.entries.append(GroupRead.Entry(offset: record.offset, keyHash: record.key.map(KeyHash.of)))
                }
                read.nextOffset = max(read.nextOffset, batch.lastOffset + 1)
            }
            return read
        }
    }
}

extension Partition {
    /// The stored batches that hold `offsets` (ascending), on the partition's loop: what a delivery
    /// of those offsets sends. Offsets lost to damage are left out (no batch holds them).
    ///
    /// Reads one batch at a time, from the first offset no batch read so far holds: a delivery
    /// usually covers one or two batches, and reading (and checking the CRC of) the batches after
    /// them would be wasted.
    /// - Throws: `offsetOutOfRange` if retention removed one of them.
    func readBatches(holding offsets: [Int64]) -> EventLoopFuture<[RecordBatch]> {
        eventLoop.submit {
            var batches: [RecordBatch] = []
            var index = 0
            while index < offsets.count {
                let read = try self.log.read(from: offsets[index], maxBytes: 1)
                if let lost = read.lostOffsets {
                    while index < offsets.count && offsets[index] < lost.upperBound { index += 1 }
                    continue
                }
                guard !read.batches.isEmpty else { break }
                for batch in read.batches where index < offsets.count {
                    var holds = false
                    while index < offsets.count && offsets[index] <= batch.lastOffset {
                        if offsets[index] >= batch.baseOffset { holds = true }
                        index += 1
                    }
                    if holds { batches.append(batch) }
                }
            }
            return batches
        }
    }
}
