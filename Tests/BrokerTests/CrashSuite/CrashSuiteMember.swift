import BrokerProtocol
import Foundation

/// The Sluice consumer group's member: subscribes to the group topic and, per delivery (seeded),
/// acknowledges at once (most), nacks (at once or after a short delay), rejects (to the
/// dead-letter topic), or holds the message like a slow handler and acknowledges it later. With
/// `maxDeliveries` 3, messages nacked three times are dead-lettered by the broker. Every answer is
/// recorded in its ``GroupLedger``, and every delivery checked against it as it arrives.
final class CrashGroupMember: @unchecked Sendable {  // used by one task at a time
    static let group = "workers"
    static let settings = RequestedGroupSettings(
        ackTimeoutMilliseconds: 120_000,
        maxDeliveries: 3,
        backoffInitialMilliseconds: 10,
        backoffMaxMilliseconds: 200
    )

    let topic: String
    var ledger = GroupLedger()
    var findings: [String] = []

    init(topic: String) { self.topic = topic }

    /// What the member does with one delivery.
    private enum Decision { case ack, nack(delay: Int64), reject, hold(milliseconds: Int) }

    private func decide(_ generator: inout SeededGenerator, draining: Bool) -> Decision {
        if draining { return .ack }
        switch Int.random(in: 0..<100, using: &generator) {
        case 0..<8:
            return .nack(delay: Bool.random(using: &generator) ? 0 : Int64.random(in: 10...200, using: &generator))
        case 8..<12: return .reject
        case 12..<20: return .hold(milliseconds: Int.random(in: 10...300, using: &generator))
        default: return .ack
        }
    }

    /// Runs until the round stops (handling what it holds first, unless `brokerd` was killed).
    /// `logValues` (value → position, from the log as last read) cross-checks what is delivered.
    func run(
        _ round: CrashRound,
        port: Int,
        generator: SeededGenerator,
        logValues: [String: LogPosition],
        draining: Bool = false
    ) async {
        var generator = generator
        var held: [(until: ContinuousClock.Instant, delivered: RawMember.Delivered)] = []
        var inRequest: [RawMember.Delivered] = []
        do {
            let member = try await RawMember(port: port)
            try await member.subscribe(group: Self.group, topics: [topic], settings: Self.settings, credits: 64)
            while !round.isStopping || (!round.isKilled && !held.isEmpty) {
                var toAck: [RawMember.Delivered] = []
                var handled = 0
                if member.hasPendingPush && !round.isStopping {
                    for delivered in try await member.nextPush(timeoutSeconds: 5) {
                        handled += 1
                        let position = LogPosition(partition: delivered.partition, offset: delivered.offset)
                        findings += ledger.deliver(position, count: delivered.deliveryCount)
                        if let value = delivered.value, let logged = logValues[value], logged != position {
                            findings.append("group: \(value) delivered as \(position), the log has it at \(logged)")
                        }
                        switch decide(&generator, draining: draining) {
                        case .ack: toAck.append(delivered)
                        case .hold(let milliseconds):
                            held.append((ContinuousClock.now + .milliseconds(milliseconds), delivered))
                        case .nack(let delay):
                            inRequest = [delivered]
                            let answer = try await member.nack(topic, delivered, delay: delay, reason: "crash suite")
                            check(answer.entries.map(\.errorCode), "nack \(position)")
                            ledger.nacks += 1
                        case .reject:
                            inRequest = [delivered]
                            let answer = try await member.reject(topic, delivered, reason: "crash suite")
                            check(answer.entries.map(\.errorCode), "reject \(position)")
                            if answer.entries.allSatisfy({ $0.errorCode == .none }) { ledger.rejected.insert(position) }
                        }
                    }
                }
                let now = ContinuousClock.now
                let due = held.filter { $0.until <= now || round.isStopping }
                held.removeAll { $0.until <= now || round.isStopping }
                ledger.slowAcks += due.count
                toAck += due.map(\.delivered)
                if !toAck.isEmpty {
                    inRequest = toAck
                    let answer = try await member.ack(topic, toAck)
                    check(answer.entries.map(\.errorCode), "ack")
                    let refused = Set(answer.entries.filter { $0.errorCode != .none }.map(\.partition))
                    for delivered in toAck where !refused.contains(delivered.partition) {
                        ledger.acked.insert(LogPosition(partition: delivered.partition, offset: delivered.offset))
                    }
                }
                inRequest = []
                if handled > 0 { try await member.credit(UInt32(handled)) }
                if handled == 0 && toAck.isEmpty { try await Task.sleep(for: .milliseconds(3)) }
            }
        } catch {
            if let finding = round.failure("group member", error) { findings.append(finding) }
            for delivered in inRequest {
                ledger.ackedUnanswered.insert(LogPosition(partition: delivered.partition, offset: delivered.offset))
            }
        }
    }

    private func check(_ codes: [ErrorCode], _ what: String) {
        if codes.contains(where: { $0 != .none }) { findings.append("group: \(what) answered \(codes)") }
    }
}
