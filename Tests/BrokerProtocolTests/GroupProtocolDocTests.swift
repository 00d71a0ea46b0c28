import Foundation
import NIOCore
import Testing

/// The hex examples of the consumer-group sections of docs/PROTOCOL.md are the golden bytes of
/// `GroupMessageCodingTests`, so the document cannot drift from the code.
@Suite("docs/PROTOCOL.md group examples")
struct GroupProtocolDocTests {
    static let protocolDocument = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/PROTOCOL.md")

    /// The first line of every fenced block, as bytes (only blocks whose first line is hex).
    static func exampleBlocks() throws -> [ByteBuffer] {
        let text = try String(contentsOf: protocolDocument, encoding: .utf8)
        var blocks: [ByteBuffer] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        while let line = lines.popFirst() {
            guard line == "```", let first = lines.popFirst() else { continue }
            if first != "```", first.allSatisfy({ $0.isHexDigit || $0 == " " }) {
                blocks.append(ByteBuffer(hex: String(first)))
            }
            while let rest = lines.popFirst(), rest != "```" {}
        }
        return blocks
    }

    @Test(arguments: [
        ("subscribe request", GroupMessageCodingTests.subscribeHex),
        ("subscribe response", GroupMessageCodingTests.subscribeResponseHex),
        ("deliver frame", GroupMessageCodingTests.deliverFrameHex),
        ("ack request", GroupMessageCodingTests.ackHex),
        ("ack response", GroupMessageCodingTests.ackResponseHex),
    ])
    func exampleIsInTheDocument(_ name: String, _ hex: String) throws {
        let blocks = try Self.exampleBlocks()
        #expect(blocks.contains(ByteBuffer(hex: hex)), "\(name) is not an example of docs/PROTOCOL.md")
    }
}
