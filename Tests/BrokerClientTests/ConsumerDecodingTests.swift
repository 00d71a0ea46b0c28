import NIOCore
import RecordCodec
import Testing

@testable import BrokerClient

@Suite struct ConsumerDecodingTests {
    private func batch(baseOffset: Int64, count: Int) -> ByteBuffer {
        let records = (0..<count).map { Record(value: ByteBuffer(string: "\(baseOffset + Int64($0))"), timestamp: 1) }
        var buffer = ByteBuffer()
        RecordBatch.write(records: records, baseOffset: baseOffset, into: &buffer)
        return buffer
    }

    @Test func skipsRecordsBelowTheRequestedOffset() throws {
        var bytes = batch(baseOffset: 10, count: 5)
        var second = batch(baseOffset: 15, count: 3)
        bytes.writeBuffer(&second)
        let decoded = try Consumer.decode(bytes, from: 12, before: nil)
        #expect(decoded.records.map(\.offset) == [12, 13, 14, 15, 16, 17])
        #expect(decoded.nextOffset == 18)
    }

    @Test func stopsAtTheEndOffset() throws {
        let decoded = try Consumer.decode(batch(baseOffset: 0, count: 10), from: 0, before: 4)
        #expect(decoded.records.map(\.offset) == [0, 1, 2, 3])
    }

    @Test func leavesABatchCutShortForTheNextFetch() throws {
        var bytes = batch(baseOffset: 0, count: 2)
        let partial = batch(baseOffset: 2, count: 2)
        bytes.writeImmutableBuffer(partial.getSlice(at: 0, length: partial.readableBytes - 5)!)
        let decoded = try Consumer.decode(bytes, from: 0, before: nil)
        #expect(decoded.records.map(\.offset) == [0, 1])
        #expect(decoded.nextOffset == 2)
    }

    @Test func rejectsACorruptBatch() throws {
        var bytes = batch(baseOffset: 0, count: 2)
        bytes.setInteger(UInt8(0xff), at: bytes.writerIndex - 1)
        #expect(throws: ClientError.self) { try Consumer.decode(bytes, from: 0, before: nil) }
    }
}
