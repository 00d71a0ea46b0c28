import BrokerClient
import NIOCore
import RecordCodec
import Testing
import ToolSupport

@Suite struct ConsumerRecordJSONTests {
    private func record(key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = []) -> ConsumerRecord {
        ConsumerRecord(
            topic: "orders",
            partition: 2,
            offset: 42,
            timestamp: 1_714_564_800_000,
            key: key,
            value: value,
            headers: headers
        )
    }

    @Test func writesUTF8KeysAndValuesAsStrings() {
        let line = record(key: ByteBuffer(string: "k-1"), value: ByteBuffer(string: "héllo \"x\"\n")).jsonLine()
        #expect(
            line
                == #"{"topic":"orders","partition":2,"offset":42,"timestamp":1714564800000,"key":"k-1","value":"héllo \"x\"\n","headers":[]}"#
        )
    }

    @Test func writesOtherBytesAsBase64() {
        let line = record(key: ByteBuffer(bytes: [0xff, 0x00]), value: ByteBuffer(bytes: [0xc3, 0x28, 0x01])).jsonLine()
        #expect(line.contains(#""key_base64":"/wA=""#))
        #expect(line.contains(#""value_base64":"wygB""#))
        #expect(!line.contains(#""key":"#))
        #expect(!line.contains(#""value":"#))
    }

    @Test func writesAMissingKeyAndANullValueAsNull() {
        let line = record(key: nil, value: nil).jsonLine()
        #expect(line.contains(#""key":null,"value":null"#))
    }

    @Test func keepsRepeatedHeadersInOrder() {
        let headers = [
            RecordHeader(key: "h", value: ByteBuffer(string: "1")),
            RecordHeader(key: "h", value: ByteBuffer(string: "2")),
            RecordHeader(key: "bin", value: ByteBuffer(bytes: [0xfe])),
            RecordHeader(key: "none", value: nil),
        ]
        let line = record(key: nil, value: ByteBuffer(string: "v"), headers: headers).jsonLine()
        #expect(
            line.hasSuffix(
                #""headers":[{"key":"h","value":"1"},{"key":"h","value":"2"},{"key":"bin","value_base64":"/g=="},{"key":"none","value":null}]}"#
            )
        )
    }

    @Test func escapesControlCharacters() {
        let line = record(key: ByteBuffer(string: "\u{01}\t\\"), value: ByteBuffer(string: "")).jsonLine()
        #expect(line.contains(#""key":"\u0001\t\\""#))
    }

    @Test func plainFormatPrintsTheValueOnly() {
        let value = record(key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v")).self
        #expect(ConsumerTool.line(for: value, format: .plain) == Array("v".utf8))
        #expect(ConsumerTool.line(for: record(key: nil, value: nil), format: .plain) == [])
    }
}
