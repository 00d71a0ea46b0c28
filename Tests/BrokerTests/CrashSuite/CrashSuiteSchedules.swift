import BrokerProtocol
import Foundation
import NIOCore

/// Schedules created, rescheduled and cancelled (durable), due 0-3 s after they are taken, so that
/// the kill points fall among their due times: some fire before the kill, some while `brokerd` is
/// down, some after the restart. Every answer goes into a ``ScheduleLedger``.
final class CrashScheduler: @unchecked Sendable {  // used by one task at a time
    let topic: String
    var ledger = ScheduleLedger()
    var findings: [String] = []
    private var nextID = 0

    init(topic: String) { self.topic = topic }

    func run(_ round: CrashRound, port: Int, generator: SeededGenerator) async {
        var generator = generator
        var acting: String?
        do {
            let connection = try await TestConnection(port: port)
            while !round.isStopping {
                let open = ledger.open.suffix(50)
                let roll = Int.random(in: 0..<100, using: &generator)
                if roll < 20, let id = open.randomElement(using: &generator) {
                    acting = id
                    let answer = try await connection.call(
                        CancelScheduleRequest(topic: topic, scheduleIDs: [id]),
                        as: CancelScheduleResponse.self
                    )
                    guard let entry = answer.entries.first, entry.errorCode == .none else {
                        findings.append("schedules: cancel \(id) answered \(answer)")
                        ledger.uncertain.insert(id)
                        continue
                    }
                    findings += ledger.cancelled(id, outcome: "\(entry.outcome)")
                    ledger.cancels += 1
                } else {
                    let reschedule = roll < 45 ? open.randomElement(using: &generator) : nil
                    let id = reschedule ?? "s\(nextID)"
                    if reschedule == nil { nextID += 1 }
                    acting = id
                    let version = ledger.latest(id) + 1
                    let delay = Int64.random(in: 0...3_000, using: &generator)
                    let answer = try await connection.call(
                        ScheduleRequest(
                            acks: .durable,
                            topic: topic,
                            entries: [
                                .init(
                                    time: .after(milliseconds: delay),
                                    scheduleID: id,
                                    key: ByteBuffer(string: id),
                                    value: ByteBuffer(string: "\(id)|\(version)")
                                )
                            ]
                        ),
                        as: ScheduleResponse.self
                    )
                    guard let entry = answer.entries.first, entry.errorCode == .none else {
                        findings.append("schedules: \(id)|\(version) answered \(answer)")
                        ledger.uncertain.insert(id)
                        continue
                    }
                    findings += ledger.scheduled(id, version: version, due: entry.deliverAt, replaced: entry.replaced)
                    if reschedule == nil { ledger.created += 1 } else { ledger.rescheduled += 1 }
                }
                acting = nil
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...30, using: &generator)))
            }
        } catch {
            if let finding = round.failure("schedules", error) { findings.append(finding) }
            // Unanswered: whatever it did is unknown.
            if let acting { ledger.uncertain.insert(acting) }
        }
    }
}
