import BrokerClient

/// The delayed-delivery example of docs/CLIENT.md ("Schedule messages for later"), compiled and run
/// by ``ClientGuideScheduleTests``; the region between the `guide:` lines is the page's block.
extension ClientGuideExamples {
    /// Schedules an order timeout, reschedules it, lists it, and cancels it. Returns the printed
    /// lines.
    static func scheduleOrderTimeout(port: Int) async throws -> [String] {
        var lines: [String] = []
        let address = BrokerAddress(host: "127.0.0.1", port: port)
        try await BrokerConnection.withConnection(to: address) { connection in
            // guide:schedule begin
            let schedules = ScheduleClient(transport: connection)
            // Deliver "order 1234 timed out" to orders in 15 minutes, unless cancelled before.
            let timeout = try await schedules.schedule(
                topic: "orders",
                key: "order-1234",
                value: #"{"type":"OrderTimedOut","order":1234}"#,
                deliver: .after(.seconds(15 * 60)),
                scheduleID: "order-timeout:1234"
            )
            lines.append("\(timeout.scheduleID) due at \(timeout.deliverAt) on partition \(timeout.partition)")
            // The same id again replaces the pending schedule: a reschedule.
            let later = try await schedules.schedule(
                topic: "orders",
                key: "order-1234",
                value: #"{"type":"OrderTimedOut","order":1234}"#,
                deliver: .after(.seconds(30 * 60)),
                scheduleID: "order-timeout:1234"
            )
            lines.append("replaced: \(later.replaced)")
            for try await page in schedules.pages(topic: "orders", idPrefix: "order-timeout:") {
                for pending in page.schedules {
                    lines.append("pending \(pending.scheduleID) due at \(pending.deliverAt)")
                }
            }
            // The order was paid: cancel the timeout.
            switch try await schedules.cancel(topic: "orders", scheduleID: "order-timeout:1234") {
            case .cancelled: lines.append("cancelled: it will never be delivered")
            case .alreadyDelivered: lines.append("too late: it was delivered")
            case .unknown: lines.append("no such schedule")
            }
            // guide:schedule end
        }
        return lines
    }
}
