import Foundation
import Testing

/// The ServiceGroup example of docs/CLIENT.md (Examples/OrderService) as the program a service
/// author would ship: SIGTERM stops it cleanly, and every order it accepted is in the log, once.
@Suite("the OrderService example", .serialized)
struct OrderServiceExampleTests {
    /// The order numbers of the "order accepted" log lines.
    private static func acceptedOrders(in log: String) -> [Int] {
        log.split(separator: "\n").compactMap { line in
            guard line.contains("order accepted"),
                let range = line.range(of: #"order=\d+"#, options: .regularExpression)
            else { return nil }
            return Int(line[range].dropFirst("order=".count))
        }
    }

    @Test("SIGTERM while orders stream in: exit 0, and every accepted order is stored exactly once")
    func sigtermLosesNothingAccepted() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        defer { broker.kill() }
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "orders", "--partitions", "3"]
        )
        #expect(created.status == 0, "\(created.standardError)")

        let service = try RunningTool("OrderServiceExample", [], environment: ["SLUICE_BROKER": broker.address])
        // More orders than it accepts before the signal: the input is still streaming when it stops.
        service.write((1...20_000).map { "\($0)\n" }.joined())
        await #expect(
            service.wait(upTo: 60) { Self.acceptedOrders(in: service.standardError).count >= 200 },
            "no orders accepted: \(service.standardError)"
        )
        service.process.signal(SIGTERM)
        let status = await service.waitForExit(upTo: 60)
        #expect(status == 0, "exit status \(String(describing: status)): \(service.standardError.suffix(2000))")

        let accepted = Self.acceptedOrders(in: service.standardError)
        #expect(accepted == Array(1...accepted.count), "orders are accepted in input order")
        let read = try await runTool(
            "consumer",
            ["--broker", broker.address, "--topic", "orders", "--until-end", "--format", "json"]
        )
        #expect(read.status == 0, "\(read.standardError)")
        let keys = read.standardOutput.split(separator: "\n").compactMap { line -> String? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return nil
            }
            return object["key"] as? String
        }
        #expect(keys.count == accepted.count, "stored \(keys.count), accepted \(accepted.count)")
        #expect(Set(keys) == Set(accepted.map { "order-\($0)" }), "every accepted order stored, nothing else")
    }
}
