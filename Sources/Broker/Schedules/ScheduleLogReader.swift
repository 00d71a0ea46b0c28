import BrokerProtocol
import LogStore
import NIOCore
import RecordCodec

/// Reads records of the schedule log by offset, keeping the last batch read decoded: a burst of
/// schedules taken together fires together, so their records are read from one batch.
struct ScheduleLogReader {
    private var cached: [Record] = []
    private var cachedRange: Range<Int64> = 0..<0

    /// How much one read asks the log for.
    static let readBytes = 64 << 10

    /// The `scheduled` record at `seq`, or `nil` when the log no longer holds it (its segment was
    /// reclaimed) or the record there is something else.
    /// - Throws: `storageError` when the log cannot be read or the record does not decode.
    mutating func scheduled(at seq: Int64, in log: PartitionLog) throws -> ScheduleRecord.Scheduled? {
        guard let record = try record(at: seq, in: log) else { return nil }
        guard let value = record.value else { return nil }
        do {
            if case .scheduled(let scheduled) = try ScheduleRecord(decoding: value) { return scheduled }
            return nil
        } catch {
            throw BrokerError(.storageError, "schedule log offset \(seq) does not decode: \(error)")
        }
    }

    /// The record at `offset`, or `nil` when the log does not hold it.
    mutating func record(at offset: Int64, in log: PartitionLog) throws -> Record? {
        if !cachedRange.contains(offset) {
            guard offset >= log.logStartOffset, offset < log.logEndOffset else { return nil }
            let result: LogReadResult
            do {
                // One batch, the one that holds `offset` (a read returns at least one): schedules fire
                // in due order, not log order, and each read's bytes stay pinned by the fires queued.
                result = try log.read(from: offset, maxBytes: 1)
            } catch {
                throw BrokerError(error)
            }
            guard let batch = result.batches.first(where: { $0.lastOffset >= offset }) else { return nil }
            do {
                cached = try batch.records()
            } catch {
                throw BrokerError(.storageError, "schedule log batch at \(batch.baseOffset) does not decode: \(error)")
            }
            cachedRange = batch.baseOffset..<(batch.lastOffset + 1)
        }
        // The records of a batch have consecutive offsets.
        let position = Int(offset - cachedRange.lowerBound)
        if position < cached.count, cached[position].offset == offset { return cached[position] }
        return cached.first { $0.offset == offset }
    }

    /// Forgets the cached batch (after a log truncation or segment deletion).
    mutating func reset() {
        cached = []
        cachedRange = 0..<0
    }
}
