import Testing

@testable import BrokerClient

/// Durations a caller passes (ack timeouts, nack delays, backoffs) become wire milliseconds
/// without trapping: one beyond Int64 milliseconds saturates, and the broker refuses it with the
/// setting's range.
@Suite struct DurationMillisecondsTests {
    @Test func durationsBecomeMilliseconds() {
        #expect(Admin.milliseconds(.milliseconds(1500)) == 1500)
        #expect(Admin.milliseconds(.seconds(30)) == 30_000)
        #expect(Admin.milliseconds(.microseconds(999)) == 0)
        #expect(Admin.milliseconds(.zero) == 0)
        #expect(Admin.milliseconds(.seconds(-2)) == -2000)
    }

    @Test func hugeDurationsSaturate() {
        #expect(Admin.milliseconds(.seconds(Int64.max)) == .max)
        #expect(Admin.milliseconds(.seconds(Int64.min)) == .min)
        #expect(Admin.milliseconds(.seconds(Int64.max / 1000) + .seconds(1)) == .max)
    }
}
