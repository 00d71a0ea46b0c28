import LogStore
import NIOCore
import RecordCodec

/// The body of the `FuzzRecordBatch` fuzzer: decodes one input as a record batch.
///
/// Bad bytes must come back as a thrown ``RecordBatchError``; anything else — a trap, another error
/// type, or decoders that disagree with each other — stops the fuzzer.
public enum RecordBatchHarness {
    /// Decodes `bytes` as they are, then (when they are at least a header long) a copy whose
    /// `batchLength` and CRC-32C were made to match, so that the fuzzer reaches the record walk
    /// without having to solve the checksum.
    public static func run(_ bytes: UnsafeRawBufferPointer) {
        decode(ByteBuffer(bytes: bytes))
        guard bytes.count >= RecordBatch.headerSize else { return }
        var copy = Array(bytes)
        reseal(&copy)
        decode(ByteBuffer(bytes: copy))
    }

    /// Rewrites `batchLength` (bytes 8..<12) to `bytes.count - 12` and the CRC (bytes 17..<21) to
    /// the CRC-32C of bytes 21..<end. `bytes` must be at least a batch header long.
    public static func reseal(_ bytes: inout [UInt8]) {
        precondition(bytes.count >= RecordBatch.headerSize)
        put(UInt32(truncatingIfNeeded: bytes.count - RecordBatch.logOverhead), at: 8, in: &bytes)
        let crc = bytes[21...].withUnsafeBytes { CRC32C.checksum($0) }
        put(crc, at: 17, in: &bytes)
    }

    static func put(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for index in 0..<4 {
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(index)))
        }
    }

    /// Validates and decodes one batch, checking that the two record walks agree and that the
    /// records survive a round trip through the encoder.
    static func decode(_ buffer: ByteBuffer) {
        let batch: RecordBatch
        do {
            batch = try RecordBatch(validating: buffer)
        } catch {
            expectLogStoreError(error)
            return
        }
        touchHeader(batch)
        let isValid: Bool
        do {
            try batch.validateRecords()
            isValid = true
        } catch {
            expectLogStoreError(error)
            isValid = false
        }
        let records: [Record]
        do {
            records = try batch.records()
        } catch {
            expectLogStoreError(error)
            precondition(!isValid, "validateRecords() passed but records() threw \(error)")
            return
        }
        precondition(isValid, "records() decoded a batch that validateRecords() rejected")
        precondition(records.count == Int(batch.recordCount), "decoded \(records.count) of \(batch.recordCount)")
        for (index, record) in records.enumerated() {
            precondition(record.offset == batch.baseOffset &+ Int64(index))
            _ = record.timestamp
            _ = record.key?.readableBytesView.reduce(0, &+)
            _ = record.value?.readableBytesView.reduce(0, &+)
            for header in record.headers {
                _ = header.key.utf8.count
                _ = header.value?.readableBytes
            }
        }
        guard !records.isEmpty else { return }
        // What was decoded re-encodes to a batch that decodes to the same records.
        let again = RecordBatch(records: records, baseOffset: batch.baseOffset)
        do {
            let decoded = try RecordBatch(validating: again.buffer).records()
            precondition(decoded == records, "records changed in a round trip through the encoder")
        } catch {
            preconditionFailure("a re-encoded batch does not decode: \(error)")
        }
    }

    static func touchHeader(_ batch: RecordBatch) {
        var sum = batch.baseOffset &+ Int64(batch.batchLength) &+ Int64(batch.partitionLeaderEpoch)
        sum = sum &+ Int64(batch.crc) &+ Int64(batch.attributes) &+ Int64(batch.lastOffsetDelta)
        sum = sum &+ batch.baseTimestamp &+ batch.maxTimestamp &+ batch.producerId
        sum = sum &+ Int64(batch.producerEpoch) &+ Int64(batch.baseSequence) &+ Int64(batch.recordCount)
        sum = sum &+ batch.lastOffset &+ Int64(batch.compressionCodec) &+ Int64(batch.sizeInBytes)
        blackHole(sum)
    }
}

/// Traps unless `error` is a ``RecordBatchError`` (the codec's) or a ``LogStoreError`` (the log's):
/// bad bytes must be reported with the module's error.
func expectLogStoreError(_ error: any Error, _ context: @autoclosure () -> String = "") {
    guard error is RecordBatchError || error is LogStoreError else {
        preconditionFailure("\(context()) threw \(type(of: error)) instead of RecordBatchError: \(error)")
    }
}

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
