import NIOCore
import RecordCodec
import Testing

@testable import LogStore

/// The codec throws ``RecordBatchError``; LogStore's API throws ``LogStoreError`` with the same
/// code and position.
@Suite("Codec errors through the storage engine")
struct CodecErrorMappingTests {
    /// A valid batch's bytes with the byte at `index` flipped.
    static func damaged(at index: Int) -> RecordBatch {
        var bytes = makeLogBatch(count: 2).buffer
        let byte: UInt8 = bytes.getInteger(at: bytes.readerIndex + index)!
        bytes.setInteger(byte ^ 0xFF, at: bytes.readerIndex + index)
        return RecordBatch(unchecked: bytes)
    }

    @Test("the codec's own error carries its code and the position in the batch")
    func codecError() {
        let error = #expect(throws: RecordBatchError.self) {
            try RecordBatch(validating: Self.damaged(at: RecordBatch.Field.magic).buffer)
        }
        #expect(error?.code == .badMagic)
        #expect(error?.position == Int64(RecordBatch.Field.magic))
    }

    @Test(
        "an append of a bad batch throws LogStoreError with the codec's code and position",
        arguments: [
            (RecordBatch.Field.magic, RecordBatchError.Code.badMagic, LogStoreError.Code.badMagic),
            (RecordBatch.Field.crc, .checksumMismatch, .checksumMismatch),
            (RecordBatch.headerSize + 2, .checksumMismatch, .checksumMismatch),
        ]
    )
    func appendError(index: Int, codecCode: RecordBatchError.Code, storageCode: LogStoreError.Code) throws {
        try withStorageFixture { fixture in
            let log = try fixture.open()
            defer { try? log.close() }
            let codecError = #expect(throws: RecordBatchError.self) {
                try RecordBatch(validating: Self.damaged(at: index).buffer)
            }
            let storageError = #expect(throws: LogStoreError.self) { try log.append(Self.damaged(at: index)) }
            #expect(codecError?.code == codecCode)
            #expect(storageError?.code == storageCode)
            #expect(storageError?.position == codecError?.position)
            #expect(storageError?.message == codecError?.message)
        }
    }
}
