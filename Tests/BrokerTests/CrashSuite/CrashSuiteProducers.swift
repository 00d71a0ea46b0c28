import BrokerProtocol
import Foundation
import KafkaProtocol
import LogStore
import NIOConcurrencyHelpers
import NIOCore
import RecordCodec

/// What the drivers of one round share: whether to stop cleanly, whether `brokerd` was killed (from
/// then on a failed request is expected and counts as unanswered), and the Kafka topic's
/// acknowledged ends (what the Kafka group may commit up to).
final class CrashRound: Sendable {
    private let flags = NIOLockedValueBox((stopping: false, killed: false))
    let kafkaEnds: NIOLockedValueBox<[Int32: Int64]>

    init(kafkaEnds: [Int32: Int64]) { self.kafkaEnds = NIOLockedValueBox(kafkaEnds) }

    /// Drivers finish the request in hand and return.
    var isStopping: Bool { flags.withLockedValue { $0.stopping || $0.killed } }
    var isKilled: Bool { flags.withLockedValue { $0.killed } }
    func stop() { flags.withLockedValue { $0.stopping = true } }
    func markKilled() { flags.withLockedValue { $0.killed = true } }

    /// A driver's request failed: expected once `brokerd` was killed, a finding otherwise.
    func failure(_ what: String, _ error: any Error) -> String? {
        isKilled ? nil : "\(what) failed with brokerd running: \(error)"
    }
}

/// A generator for one driver in one round: a seed replays the same operations.
func crashGenerator(seed: UInt64, round: Int, stream: UInt64) -> SeededGenerator {
    var mixer = SeededGenerator(seed: seed ^ (UInt64(round) &* 0x9E37_79B9) ^ (stream &* 0xC2B2_AE35))
    return SeededGenerator(seed: mixer.next())
}

/// A producer of durable keyed messages: through the Sluice protocol (`produce`, acks durable, a
/// batch per partition) or the Kafka listener (`Produce` v8, acks -1, one partition a request).
/// Values are `<name>-<sequence>`; the sequence carries on across rounds.
final class CrashProducer: @unchecked Sendable {  // used by one task at a time
    enum Wire { case sluice, kafka }

    let name: String
    let wire: Wire
    let topic: String
    let partitions: Int32
    private var sequence = 0
    /// This round's acknowledgements and findings, taken by the suite after the round.
    var acknowledged: [(String, LogPosition)] = []
    var findings: [String] = []

    init(name: String, wire: Wire, topic: String, partitions: Int32) {
        self.name = name
        self.wire = wire
        self.topic = topic
        self.partitions = partitions
    }

    func run(_ round: CrashRound, port: Int, generator: SeededGenerator) async {
        var generator = generator
        do {
            switch wire {
            case .sluice:
                let connection = try await TestConnection(port: port)
                while !round.isStopping {
                    try await produceSluice(on: connection, generator: &generator, round)
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...10, using: &generator)))
                }
            case .kafka:
                let connection = try await KafkaTestConnection(port: port)
                while !round.isStopping {
                    try await produceKafka(on: connection, generator: &generator, round)
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...10, using: &generator)))
                }
            }
        } catch {
            if let finding = round.failure("\(name) produce", error) { findings.append(finding) }
        }
    }

    /// The next `count` messages, by partition (murmur2 of the key, as every client does).
    private func messages(_ count: Int, generator: inout SeededGenerator) -> [Int32: [(String, Record)]] {
        var byPartition: [Int32: [(String, Record)]] = [:]
        let now = currentTimeMilliseconds()
        for _ in 0..<count {
            sequence += 1
            let key = "key-\(Int.random(in: 0..<64, using: &generator))"
            let value = "\(name)-\(sequence)"
            let partition = Partitioner.partition(forKey: Array(key.utf8), partitionCount: partitions)
            let record = Record(key: ByteBuffer(string: key), value: ByteBuffer(string: value), timestamp: now)
            byPartition[partition, default: []].append((value, record))
        }
        return byPartition
    }

    private func produceSluice(
        on connection: TestConnection,
        generator: inout SeededGenerator,
        _ round: CrashRound
    )
        async throws
    {
        let byPartition = messages(Int.random(in: 1...8, using: &generator), generator: &generator)
        let request = ProduceRequest(
            acks: .durable,
            topic: topic,
            partitions: byPartition.keys.sorted().map { partition in
                .init(partition: partition, records: RecordBatch(records: byPartition[partition]!.map(\.1)).buffer)
            }
        )
        let response = try await connection.call(request, as: ProduceResponse.self)
        for result in response.partitions {
            guard result.errorCode == .none else {
                findings.append("\(name): produce to \(result.partition) answered \(result.errorCode)")
                continue
            }
            for (index, (value, _)) in (byPartition[result.partition] ?? []).enumerated() {
                let offset = result.offset(ofRecordAt: index)
                acknowledged.append((value, LogPosition(partition: result.partition, offset: offset)))
            }
        }
    }

    private func produceKafka(
        on connection: KafkaTestConnection,
        generator: inout SeededGenerator,
        _ round: CrashRound
    )
        async throws
    {
        let byPartition = messages(Int.random(in: 1...8, using: &generator), generator: &generator)
        for partition in byPartition.keys.sorted() {
            let batch = byPartition[partition]!
            let request = KafkaProduceRequest(
                acks: -1,
                timeoutMs: 30_000,
                topics: [
                    .init(
                        name: topic,
                        partitions: [
                            .init(partitionIndex: partition, records: RecordBatch(records: batch.map(\.1)).buffer)
                        ]
                    )
                ]
            )
            let response = try await connection.call(request, version: 8, as: KafkaProduceResponse.self)
            guard let result = response.topics.first?.partitions.first, result.errorCode == .none else {
                findings.append("\(name): Kafka produce to \(partition) answered \(response)")
                continue
            }
            for (index, (value, _)) in batch.enumerated() {
                acknowledged.append(
                    (value, LogPosition(partition: partition, offset: result.baseOffset + Int64(index)))
                )
            }
            let end = result.baseOffset + Int64(batch.count)
            round.kafkaEnds.withLockedValue { $0[partition] = max($0[partition] ?? 0, end) }
        }
    }
}
