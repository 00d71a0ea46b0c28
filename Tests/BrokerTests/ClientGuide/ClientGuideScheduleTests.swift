import BrokerClient
import Testing

/// The delayed-delivery example of docs/CLIENT.md runs against an embedded broker (it needs the
/// broker to serve `schedule`, `cancelSchedule` and `listSchedules`).
@Suite("docs/CLIENT.md schedule example")
struct ClientGuideScheduleTests {
    @Test("schedule, reschedule, list and cancel an order timeout")
    func scheduleOrderTimeout() async throws {
        try await withBroker { _, port in
            try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) {
                try await Admin(transport: $0).createTopic("orders", partitions: 3)
            }
            let lines = try await ClientGuideExamples.scheduleOrderTimeout(port: port)
            #expect(lines.count == 4, "\(lines)")
            #expect(lines.first?.hasPrefix("order-timeout:1234 due at ") == true, "\(lines)")
            #expect(lines.dropFirst().first == "replaced: true")
            #expect(lines.dropFirst(2).first?.hasPrefix("pending order-timeout:1234 due at ") == true, "\(lines)")
            #expect(lines.last == "cancelled: it will never be delivered")
        }
    }
}
