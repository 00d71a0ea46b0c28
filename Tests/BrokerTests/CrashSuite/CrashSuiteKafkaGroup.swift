import Foundation
import KafkaProtocol
import NIOCore

/// A Kafka classic group's only member: joins (JoinGroup v5, twice: the first answers
/// MEMBER_ID_REQUIRED), syncs (SyncGroup v3), then commits offsets of the Kafka topic's partitions
/// (OffsetCommit v7, forward by 1-20, never past what the Kafka producer had acknowledged) and now
/// and then reads them back (OffsetFetch v5), heartbeating on the way. Membership lives in memory,
/// so every round joins again; the offsets are durable.
final class CrashKafkaGroup: @unchecked Sendable {  // used by one task at a time
    static let group = "kworkers"

    let topic: String
    let partitions: Int32
    var ledger = KafkaCommitLedger()
    var findings: [String] = []

    init(topic: String, partitions: Int32) {
        self.topic = topic
        self.partitions = partitions
    }

    func run(_ round: CrashRound, port: Int, generator: SeededGenerator) async {
        var generator = generator
        do {
            let connection = try await KafkaTestConnection(port: port)
            let (member, generation) = try await join(connection)
            ledger.joins += 1
            var last: [Int32: Int64] = [:]
            var beat = ContinuousClock.now
            while !round.isStopping {
                let partition = Int32.random(in: 0..<partitions, using: &generator)
                let end = round.kafkaEnds.withLockedValue { $0[partition] ?? 0 }
                let current = max(last[partition] ?? 0, ledger.sent[partition]?.max() ?? 0)
                if current < end {
                    let offset = min(end, current + Int64.random(in: 1...20, using: &generator))
                    // Sent: if unanswered, it may or may not be stored.
                    ledger.sent[partition, default: []].insert(offset)
                    let answer = try await connection.call(
                        KafkaOffsetCommitRequest(
                            groupID: Self.group,
                            generationID: generation,
                            memberID: member,
                            topics: [
                                .init(
                                    name: topic,
                                    partitions: [.init(partitionIndex: partition, committedOffset: offset)]
                                )
                            ]
                        ),
                        version: 7,
                        as: KafkaOffsetCommitResponse.self
                    )
                    let codes = answer.topics.flatMap(\.partitions).map(\.errorCode)
                    if codes == [.none] {
                        ledger.answered[partition] = max(ledger.answered[partition] ?? -1, offset)
                        ledger.commits += 1
                        last[partition] = offset
                    } else {
                        findings.append("kafka: commit \(partition)=\(offset) answered \(codes)")
                    }
                }
                if Int.random(in: 0..<8, using: &generator) == 0 {
                    findings += try await fetchAndCheck(connection)
                }
                if ContinuousClock.now - beat > .seconds(2) {
                    let answer = try await connection.call(
                        KafkaHeartbeatRequest(groupID: Self.group, generationID: generation, memberID: member),
                        version: 3,
                        as: KafkaHeartbeatResponse.self
                    )
                    if answer.errorCode != .none { findings.append("kafka: heartbeat answered \(answer.errorCode)") }
                    beat = ContinuousClock.now
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 2...15, using: &generator)))
            }
        } catch {
            if let finding = round.failure("Kafka group", error) { findings.append(finding) }
        }
    }

    /// Joins the group as its only member; the member id and generation.
    private func join(_ connection: KafkaTestConnection) async throws -> (String, Int32) {
        func request(_ member: String) -> KafkaJoinGroupRequest {
            KafkaJoinGroupRequest(
                groupID: Self.group,
                sessionTimeoutMs: 30_000,
                rebalanceTimeoutMs: 10_000,
                memberID: member,
                groupInstanceID: nil,
                protocolType: "consumer",
                protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [0, 1]))]
            )
        }
        var joined = try await connection.call(request(""), version: 5, as: KafkaJoinGroupResponse.self)
        if joined.errorCode == .memberIDRequired {
            joined = try await connection.call(request(joined.memberID), version: 5, as: KafkaJoinGroupResponse.self)
        }
        guard joined.errorCode == .none else { throw TestFailure("JoinGroup answered \(joined.errorCode)") }
        let synced = try await connection.call(
            KafkaSyncGroupRequest(
                groupID: Self.group,
                generationID: joined.generationID,
                memberID: joined.memberID,
                groupInstanceID: nil,
                assignments: [.init(memberID: joined.memberID, assignment: ByteBuffer(bytes: [1]))]
            ),
            version: 3,
            as: KafkaSyncGroupResponse.self
        )
        guard synced.errorCode == .none else { throw TestFailure("SyncGroup answered \(synced.errorCode)") }
        return (joined.memberID, joined.generationID)
    }

    /// Reads the committed offsets back and checks them against what was answered and sent.
    func fetchAndCheck(_ connection: KafkaTestConnection) async throws -> [String] {
        let answer = try await connection.call(
            KafkaOffsetFetchRequest(
                groupID: Self.group,
                topics: [.init(name: topic, partitionIndexes: Array(0..<partitions))]
            ),
            version: 5,
            as: KafkaOffsetFetchResponse.self
        )
        guard answer.errorCode == .none else { return ["kafka: OffsetFetch answered \(answer.errorCode)"] }
        var findings: [String] = []
        for partition in answer.topics.flatMap(\.partitions) {
            guard partition.errorCode == .none else {
                findings.append("kafka: OffsetFetch of \(partition.partitionIndex) answered \(partition.errorCode)")
                continue
            }
            findings += ledger.check(partition: partition.partitionIndex, fetched: partition.committedOffset)
        }
        return findings
    }
}
