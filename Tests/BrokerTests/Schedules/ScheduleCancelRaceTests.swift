import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import Testing

@testable import Broker

/// Cancels racing the firing of the same schedules, through the protocol: thousands of schedules
/// due at one instant, every one cancelled from several connections at once around that instant.
/// Each answer is then checked against the topic: `cancelled` means the message never appears,
/// `alreadyDelivered` that it appears exactly once, and `unknown` is never the answer for an id
/// that was scheduled.
@Suite("Schedules: cancel racing the fire")
struct ScheduleCancelRaceTests {
    typealias Support = ScheduleTestSupport

    /// `lead`: how many milliseconds before the due instant the cancels start (negative: after).
    @Test("each cancel answer matches the topic", arguments: [200, 80, 30])
    func cancelAnswersMatchTheTopic(lead: Int64) async throws {
        try await withBroker { server, port in
            try await Support.createTopic("orders", partitions: 4, on: server)
            let connections = (0..<8).map { _ in
                BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            }
            defer { for connection in connections { Task { await connection.close() } } }
            let count = 4_000
            let instant = Support.now + 4_000
            let client = ScheduleClient(transport: connections[0])
            for start in stride(from: 0, to: count, by: 1_000) {
                let answers = try await client.schedule(
                    topic: "orders",
                    (start..<start + 1_000).map { n in
                        DelayedMessage(
                            key: "order-\(n)",
                            value: "timeout \(n)",
                            deliver: .at(epochMilliseconds: instant),
                            scheduleID: "order-timeout:\(n)"
                        )
                    }
                )
                for answer in answers { _ = try answer.get() }
            }
            // Had scheduling taken past the instant (a loaded machine), the cancels would find the
            // schedules fired: no race, but the checks hold all the same.
            while Support.now < instant - lead { try await Task.sleep(for: .milliseconds(1)) }

            // Every id cancelled once, in requests of 25 spread over 8 connections.
            let outcomes = try await withThrowingTaskGroup(of: [(Int, CancelOutcome)].self) { group in
                for (index, start) in stride(from: 0, to: count, by: 25).enumerated() {
                    let connection = connections[index % connections.count]
                    group.addTask {
                        let ids = Array(start..<start + 25)
                        let answers = try await ScheduleClient(transport: connection).cancel(
                            topic: "orders",
                            scheduleIDs: ids.map { "order-timeout:\($0)" }
                        )
                        return try zip(ids, answers).map { ($0, try $1.get()) }
                    }
                }
                var outcomes: [Int: CancelOutcome] = [:]
                for try await answers in group { for (n, outcome) in answers { outcomes[n] = outcome } }
                return outcomes
            }
            #expect(outcomes.count == count)

            // Everything settled: nothing pending, nothing in flight.
            let scheduler = try await server.openedScheduler()
            try await Support.waitUntil(scheduler, "nothing pending") { $0.pendingTotal == 0 }
            let records = try await Support.read("orders", port: port)
            var appearances: [Int: Int] = [:]
            for record in records {
                let id = try #require(Support.header(ScheduleHeader.id, of: record))
                let n = try #require(Int(id.dropFirst("order-timeout:".count)))
                appearances[n, default: 0] += 1
                #expect(record.timestamp >= instant, "\(id) appended at \(record.timestamp), due \(instant)")
            }
            var split: [CancelOutcome: Int] = [:]
            for (n, outcome) in outcomes {
                split[outcome, default: 0] += 1
                switch outcome {
                case .cancelled:
                    #expect(appearances[n] == nil, "order-timeout:\(n) answered cancelled but appended")
                case .alreadyDelivered:
                    #expect(
                        appearances[n] == 1,
                        "order-timeout:\(n) answered alreadyDelivered, appended \(appearances[n] ?? 0) times"
                    )
                case .unknown:
                    Issue.record("order-timeout:\(n) was scheduled but its cancel answered unknown")
                }
            }
            #expect(records.count == split[.alreadyDelivered] ?? 0)
            print("cancel race (cancels start \(lead) ms before the instant): \(split)")
        }
    }
}
