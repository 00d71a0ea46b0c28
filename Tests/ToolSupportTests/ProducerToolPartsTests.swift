import BrokerClient
import Testing

@testable import ToolSupport

/// The parts of `producer` that bound its memory and word its closing error line.
@Suite struct ProducerToolPartsTests {
    @Test func byteSizesTakeUnits() {
        #expect(ByteSizeSyntax.parse("1048576") == 1_048_576)
        #expect(ByteSizeSyntax.parse("64MiB") == 64 << 20)
        #expect(ByteSizeSyntax.parse("64mib") == 64 << 20)
        #expect(ByteSizeSyntax.parse("1GiB") == 1 << 30)
        #expect(ByteSizeSyntax.parse("512KiB") == 512 << 10)
        #expect(ByteSizeSyntax.parse("1GB") == 1_000_000_000)
        #expect(ByteSizeSyntax.parse("10B") == 10)
        #expect(ByteSizeSyntax.parse("-1") == nil)
        #expect(ByteSizeSyntax.parse("1.5GiB") == nil)
        #expect(ByteSizeSyntax.parse("MiB") == nil)
        #expect(ByteSizeSyntax.parse("99999999999TiB") == nil)
        #expect(ByteSizeSyntax.format(64 << 20) == "64MiB")
        #expect(ByteSizeSyntax.format(1000) == "1000")
    }

    /// A line over the limit is an error naming it, not a buffer that grows without bound.
    @Test func aLineOverTheLimitIsRefused() throws {
        var splitter = LineSplitter(maxLineBytes: 4)
        #expect(try splitter.append(Array("abcd\r\nab".utf8)) == [Array("abcd".utf8)])
        #expect(throws: ClientError.self) { try splitter.append(Array("cdef".utf8)) }
        var endless = LineSplitter(maxLineBytes: 4)
        let error = #expect(throws: ClientError.self) { try endless.append([UInt8](repeating: 0x41, count: 100)) }
        #expect(error?.message == "line 1 is longer than 4 (4 bytes)")
        // "abc" may still become "ab\r\n": it is refused at the end of the input.
        var last = LineSplitter(maxLineBytes: 2)
        _ = try last.append(Array("abc".utf8))
        #expect(throws: ClientError.self) { try last.finish() }
    }

    /// The reader waits while the window is full, and is released by the printer or by `stop()`.
    @Test func theWindowHoldsAtMostItsCapacity() async {
        let window = AcknowledgementWindow<Int>(capacity: 2)
        #expect(await window.push(1))
        #expect(await window.push(2))
        let third = Task { await window.push(3) }
        // Wait (bounded) until the third push is waiting: only then does "held" mean something.
        for _ in 0..<5000 where await window.waitingPushCount == 0 { try? await Task.sleep(for: .milliseconds(1)) }
        #expect(await window.waitingPushCount == 1)
        #expect(await window.count == 2)
        #expect(await window.next() == 1)
        #expect(await third.value)
        #expect(await window.count == 2)
        let fourth = Task { await window.push(4) }
        await window.stop()
        #expect(await fourth.value == false)
        #expect(await window.next() == 2)
        #expect(await window.next() == 3)
        #expect(await window.next() == 4)
        #expect(await window.next() == nil)
    }

    /// A message being handed to the client library when the printer stops the reader is still
    /// handed out: the library may send it, so its acknowledgement must be printed.
    @Test func aMessageBeingSentWhenStoppedIsStillHandedOut() async {
        let window = AcknowledgementWindow<Int>(capacity: 4)
        #expect(await window.willSend())
        await window.stop()
        #expect(await window.willSend() == false, "no new message once stopped")
        #expect(await window.isDrained == false, "the printer must wait for the message in flight")
        // The enqueue in flight finishes after the stop.
        #expect(await window.push(1) == false)
        #expect(await window.next() == 1)
        #expect(await window.next() == nil)
    }

    @Test func aMessageTheLibraryRefusedReleasesThePrinter() async {
        let window = AcknowledgementWindow<Int>(capacity: 4)
        #expect(await window.willSend())
        await window.finish()
        #expect(await window.isDrained == false)
        await window.didNotSend()
        #expect(await window.isDrained)
        #expect(await window.next() == nil)
    }

    @Test func theErrorLineSaysWhichMessagesWereAcknowledged() {
        var numbers = MessageNumbers()
        #expect(numbers.summary == "")
        for number in 1...4 { numbers.acknowledge(number) }
        numbers.lastSent = 4
        #expect(numbers.summary == " (acknowledged and printed: messages 1-4; nothing after message 4 was sent)")
        numbers.acknowledge(7)
        numbers.lastSent = 9
        #expect(
            numbers.summary
                == " (acknowledged and printed: messages 1-4, 7; not acknowledged: 5-6, 8-9)"
        )
        var none = MessageNumbers()
        none.lastSent = 3
        #expect(none.summary == " (no message was acknowledged; not acknowledged: 1-3)")
        var many = MessageNumbers()
        for number in stride(from: 1, through: 40, by: 2) { many.acknowledge(number) }
        many.lastSent = 40
        #expect(MessageNumbers.text(many.acknowledged) == "1, 3, 5, 7, 9, 11, 13, 15, …")
    }

    /// Line N stays message N: a failure between acknowledgements (other partitions) gets a line.
    @Test func outputLinesStayPositional() {
        var lines = AcknowledgementLines()
        #expect(lines.acknowledged("t/0@0") == ["t/0@0"])
        lines.failed()
        lines.failed()
        #expect(lines.acknowledged("t/1@0") == ["not acknowledged", "not acknowledged", "t/1@0"])
        #expect(lines.acknowledged("t/2@0") == ["t/2@0"])
        lines.failed()
    }

    @Test func aDuplicateIsReportedWithTheOffsetOfItsFirstCopy() {
        let ends: [Int32: Int64] = [0: 10]
        let old = RecordMetadata(topic: "t", partition: 0, offset: 4)
        let new = RecordMetadata(topic: "t", partition: 0, offset: 10)
        #expect(ProducerTool.line(for: old, endsBefore: ends) == "duplicate of t/0@4")
        #expect(ProducerTool.line(for: new, endsBefore: ends) == "t/0@10")
        #expect(ProducerTool.line(for: new, endsBefore: [:]) == "t/0@10")
    }

    @Test func jsonValuesAreOneLine() {
        let value = JSONValue.object([
            ("topic", .string("a\"b\n")), ("n", .integer(3)), ("none", .integer(nil)), ("list", .array([.bool(true)])),
        ])
        #expect(value.text == #"{"topic":"a\"b\n","n":3,"none":null,"list":[true]}"#)
    }
}
