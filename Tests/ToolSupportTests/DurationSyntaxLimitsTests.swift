import BrokerClient
import Testing
import ToolSupport

@Suite struct DurationSyntaxLimitsTests {
    /// 15 digits pass the length check, but a day, hour or minute count that large overflows
    /// Int64 milliseconds: it must be refused, not trap (`brokerctl topics create --retention`).
    @Test(arguments: ["999999999999999d", "999999999999999h", "999999999999999m", "106751991167301d"])
    func rejectsDurationsPastInt64Milliseconds(text: String) {
        #expect(DurationSyntax.parse(text) == nil)
    }

    @Test func acceptsTheLargestDurationsThatFit() throws {
        let duration = try #require(DurationSyntax.parse("999999999999999s"))
        #expect(DurationSyntax.format(duration) == "999999999999999s")
        #expect(DurationSyntax.parse("106751991167d") != nil)
    }
}
