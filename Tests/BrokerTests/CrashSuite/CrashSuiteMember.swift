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
        var inAck: [RawMember.Delivered] = []  // an ack request sent, not yet answered
        do {
            let member = try await RawMember(port: port)
            try await member.subscribe(group: Self.group, topics: [topic], settings: Self.settings, credits: 256)
            while !round.isStopping || (!round.isKilled && !held.isEmpty) {
                // Everything received so far, then one request of each kind.
                var delivered: [RawMember.Delivered] = []
                while member.hasPendingPush && !round.isStopping {
                    delivered += try await member.nextPush(timeoutSeconds: 5)
                }
                var toAck: [RawMember.Delivered] = []
                var toNack: [(RawMember.Delivered, Int64)] = []
                var toReject: [RawMember.Delivered] = []
                for message in delivered {
                    let position = LogPosition(partition: message.partition, offset: message.offset)
                    findings += ledger.deliver(position, count: message.deliveryCount)
                    if let value = message.value, let logged = logValues[value], logged != position {
                        findings.append("group: \(value) delivered as \(position), the log has it at \(logged)")
                    }
                    switch decide(&generator, draining: draining) {
                    case .ack: toAck.append(message)
                    case .hold(let milliseconds):
                        held.append((ContinuousClock.now + .milliseconds(milliseconds), message))
                    case .nack(let delay): toNack.append((message, delay))
                    case .reject: toReject.append(message)
                    }
                }
                if !toNack.isEmpty {
                    let answer = try await member.connection.call(
                        NackRequest(
                            subscriptionID: member.subscriptionID,
                            entries: toNack.map {
                                .init(
                                    topic: topic,
                                    partition: $0.0.partition,
                                    offset: $0.0.offset,
                                    delayMilliseconds: $0.1,
                                    reason: "crash suite"
                                )
                            }
                        ),
                        as: NackResponse.self
                    )
                    check(answer.entries.map(\.errorCode), "nack")
                    ledger.nacks += toNack.count
                }
                if !toReject.isEmpty {
                    let answer = try await member.connection.call(
                        RejectRequest(
                            subscriptionID: member.subscriptionID,
                            entries: toReject.map {
                                .init(topic: topic, partition: $0.partition, offset: $0.offset, reason: "crash suite")
                            }
                        ),
                        as: RejectResponse.self
                    )
                    check(answer.entries.map(\.errorCode), "reject")
                    for (message, entry) in zip(toReject, answer.entries) where entry.errorCode == .none {
                        ledger.rejected.insert(LogPosition(partition: message.partition, offset: message.offset))
                    }
                }
                let now = ContinuousClock.now
                let due = held.filter { $0.until <= now || round.isStopping }
                held.removeAll { $0.until <= now || round.isStopping }
                ledger.slowAcks += due.count
                toAck += due.map(\.delivered)
                if !toAck.isEmpty {
                    inAck = toAck
                    let answer = try await member.ack(topic, toAck)
                    check(answer.entries.map(\.errorCode), "ack")
                    let refused = Set(answer.entries.filter { $0.errorCode != .none }.map(\.partition))
                    for message in toAck where !refused.contains(message.partition) {
                        ledger.acked.insert(LogPosition(partition: message.partition, offset: message.offset))
                    }
                }
                inAck = []
                if !delivered.isEmpty { try await member.credit(UInt32(delivered.count)) }
                if delivered.isEmpty && toAck.isEmpty { try await Task.sleep(for: .milliseconds(3)) }
            }
        } catch {
            if let finding = round.failure("group member", error) { findings.append(finding) }
            // Sent, never answered: an ack may have been taken (then the message never comes back).
            for message in inAck {
                ledger.ackedUnanswered.insert(LogPosition(partition: message.partition, offset: message.offset))
            }
        }
    }

    private func check(_ codes: [ErrorCode], _ what: String) {
        if codes.contains(where: { $0 != .none }) { findings.append("group: \(what) answered \(codes)") }
    }
}
