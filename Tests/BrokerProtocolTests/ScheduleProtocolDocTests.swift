import NIOCore
import Testing

/// The hex examples of the delayed-delivery sections of docs/PROTOCOL.md are the golden bytes of
/// `ScheduleMessageCodingTests`, so the document cannot drift from the code.
@Suite("docs/PROTOCOL.md schedule examples")
struct ScheduleProtocolDocTests {
    @Test(arguments: [
        ("schedule request", ScheduleMessageCodingTests.scheduleHex),
        ("schedule response", ScheduleMessageCodingTests.scheduleResponseHex),
        ("cancelSchedule request", ScheduleMessageCodingTests.cancelHex),
        ("cancelSchedule response", ScheduleMessageCodingTests.cancelResponseHex),
        ("listSchedules request", ScheduleMessageCodingTests.listHex),
        ("listSchedules response", ScheduleMessageCodingTests.listResponseHex),
    ])
    func exampleIsInTheDocument(_ name: String, _ hex: String) throws {
        let blocks = try GroupProtocolDocTests.exampleBlocks()
        #expect(blocks.contains(ByteBuffer(hex: hex)), "\(name) is not an example of docs/PROTOCOL.md")
    }
}
