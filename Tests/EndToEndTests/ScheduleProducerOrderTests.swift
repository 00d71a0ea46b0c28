import Foundation
import Testing

/// `producer --delay` with several lines for one schedule id: each line replaces the pending one,
/// so the message that fires is the last line's, as a reader of the input expects.
@Suite("producer --delay: lines for one schedule id", .serialized)
struct ScheduleProducerOrderTests {
    @Test("the last line for a schedule id is the one that fires")
    func lastLineWins() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        try await ScheduleToolTests.createTopic(broker.address, "orders")
        let lines = (1...200).map { "1234:status \($0)\n" }.joined()
        let run = try await runTool(
            "producer",
            [
                "--broker", broker.address, "--topic", "orders", "--key-separator", ":", "--delay", "3s",
                "--schedule-id", "order-timeout:{key}",
            ],
            input: lines
        )
        try #require(run.status == 0, "\(run.standardError)")
        #expect(run.lines.count == 200)
        let records = try await ScheduleToolTests.waitForRecords(broker.address, topic: "orders", count: 1)
        try? await Task.sleep(for: .seconds(0.5))
        let settled = try await BrokerdTests.consumeAll(broker.address, topic: "orders")
        #expect(records.count == 1 && settled.count == 1, "\(settled.map { $0["value"] ?? "" })")
        #expect(settled.first?["value"] as? String == "status 200", "\(settled.map { $0["value"] ?? "" })")
        // The due times printed, in input order, are the broker's clock when it took each line:
        // a due time earlier than the line before's means the broker took that line first.
        let dues = try run.lines.map { try ScheduleToolTests.parseScheduled($0).due }
        let overtaken = zip(dues.indices, zip(dues, dues.dropFirst())).first { $0.1.1 < $0.1.0 }
        #expect(
            overtaken == nil,
            "line \((overtaken?.0 ?? 0) + 2) was scheduled before line \((overtaken?.0 ?? 0) + 1): due times \(dues.prefix(40))"
        )
    }
}
