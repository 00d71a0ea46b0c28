import BrokerProtocol
import LogStore
import LogStoreTesting
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RecordCodec

@testable import Broker

/// One consumer group on one partition, on a ``PowerCutDisk``: the real ``PartitionDispatch``
/// (deliveries, acks, nacks, rejects, ack timeouts, members leaving, the decision to dead-letter),
/// the real ``GroupStateStore`` its events go to, and the real ``DeadLetterWriter`` appending to a
/// real dead-letter ``Partition`` (its log on the same disk, with the broker's message-id window),
/// glued together as ``GroupRuntime`` does: an ack, nack or reject is answered once the events it
/// recorded are durable; a dead letter is appended durably, then marked written, then the mark is
/// made durable. The source partition is a fixed list of offsets with keys (its log is not under
/// the cut). Used from one task at a time.
final class GroupDispatchNode: @unchecked Sendable {
    static let source = GroupPartitionID(group: "g", topic: "src", partition: 0)
    static let stateDirectory = "/data/" + GroupStateStore.directoryName
    static let deadLetterDirectory = "/data/" + DeadLetterWriter.topicName(group: "g", topic: "src") + "/0"
    static let epoch: Int64 = 1_700_000_000_000

    let store: GroupStateStore
    let deadLetters: Partition
    let writer: DeadLetterWriter
    let threadPool: NIOThreadPool
    var dispatch: PartitionDispatch<UInt64>
    /// Which member holds each offset in flight.
    var held: [Int64: UInt64] = [:]
    /// The monotonic clock the dispatcher is given (ms).
    var now: Int64 = 0

    /// Opens the store and the dead-letter partition on `disk`, creates the group if the store has
    /// none, and restores the dispatcher from the store's state, reading the `sourceCount`
    /// messages in (keys `k0`...`k<keys - 1>`).
    init(
        disk: PowerCutDisk,
        settings: GroupSettings,
        stateConfiguration: GroupStateStore.Configuration,
        sourceCount: Int64,
        keys: Int,
        topics: PowerCutTopics
    ) async throws {
        store = try GroupStateStore.open(
            directory: Self.stateDirectory,
            configuration: stateConfiguration,
            fileIO: disk.disk,
            flushScheduler: disk.scheduler
        )
        if store.definition(of: Self.source.group) == nil {
            let offset = try store.append([
                .groupCreated(group: Self.source.group, GroupDefinition(settings: settings, topics: ["src"]))
            ])
            try await store.waitUntilDurable(offset)
        }
        var logConfiguration = LogConfiguration()
        logConfiguration.segmentBytes = 4096
        logConfiguration.segmentMilliseconds = nil
        let brokerConfiguration = BrokerConfiguration(dataDirectory: "/data", port: 0)
        let log = try PartitionLog.open(
            directory: Self.deadLetterDirectory,
            configuration: logConfiguration,
            scheduler: disk.scheduler,
            fileIO: disk.disk
        )
        let recovered = try Partition.recoverState(from: log, configuration: brokerConfiguration)
        deadLetters = Partition(
            topic: DeadLetterWriter.topicName(group: "g", topic: "src"),
            index: 0,
            log: SendableLog(log),
            state: recovered,
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            configuration: brokerConfiguration
        )
        writer = DeadLetterWriter(registry: topics.registry, issued: { IssuedProducers(idBound: 0, epoch: 0) })
        threadPool = topics.threadPool
        let state = store.state(of: Self.source) ?? PersistedPartitionState(committedOffset: 0)
        dispatch = PartitionDispatch(id: Self.source, settings: settings, restoring: state, randomSeed: 7)
        let start = dispatch.nextReadOffset
        if start < sourceCount {
            dispatch.add(
                records: (start..<sourceCount).map { ($0, Self.keyHash(of: $0, keys: keys)) },
                readUpTo: sourceCount
            )
        }
    }

    static func keyHash(of offset: Int64, keys: Int) -> UInt64 {
        UInt64(offset % Int64(keys)) &* 0x9E37_79B9_7F4A_7C15 | 1
    }

    /// The source message at `offset`, as a dead letter carries it.
    static func record(at offset: Int64) -> Record {
        Record(
            key: ByteBuffer(string: "k\(offset)"),
            value: ByteBuffer(string: "message \(offset)"),
            headers: [],
            timestamp: epoch + offset
        )
    }

    /// Appends the events the dispatcher recorded; the offset of the append, `nil` if none.
    func persist() throws -> Int64? {
        let events = dispatch.takeEvents()
        guard !events.isEmpty else { return nil }
        return try store.append(events: events, for: Self.source)
    }

    /// Writes every dead letter the dispatcher decided on, as the runtime does: each appended
    /// durably (`written` is told its offset), marked written, the mark appended. Returns the
    /// last state offset appended, if any.
    func writeDeadLetters(written: (Int64) -> Void) async throws -> Int64? {
        var last: Int64?
        for letter in dispatch.takeDeadLetters() {
            _ = try await writer.write(
                DeadLetter(
                    source: Self.source,
                    offset: letter.offset,
                    record: Self.record(at: letter.offset),
                    deliveries: letter.record,
                    reason: letter.reason
                ),
                to: deadLetters,
                now: currentTimeMilliseconds(),
                after: store
            )
            written(letter.offset)
            _ = dispatch.deadLetterWritten(offset: letter.offset)
            if let offset = try persist() { last = offset }
        }
        return last
    }

    /// The dead-letter partition's records: the source offset each message id names, in order.
    func deadLetterOffsets() async throws -> [Int64] {
        let partition = deadLetters
        return try await partition.eventLoop.submit { () throws -> [Int64] in
            var offsets: [Int64] = []
            var offset = partition.log.logStartOffset
            while offset < partition.log.logEndOffset {
                let result = try partition.log.read(from: offset, maxBytes: 1 << 20)
                if let lost = result.lostOffsets {
                    offset = lost.upperBound
                    continue
                }
                guard let last = result.batches.last else { break }
                for batch in result.batches {
                    for record in try batch.records(maxDecompressedBytes: 1 << 20) {
                        let id =
                            record.headers.last { $0.key == ProduceRequest.messageIDHeader }
                            .flatMap { $0.value.map { String(buffer: $0) } } ?? "?"
                        offsets.append(Int64(id.split(separator: "/").last ?? "") ?? -1)
                    }
                }
                offset = last.lastOffset + 1
            }
            return offsets
        }.get()
    }

    /// Closes the store and the dead-letter partition (after a cut, against the old disk).
    func close() async {
        try? store.close()
        try? await deadLetters.close(on: threadPool).get()
    }
}

/// What the operations acknowledged, shared between the task running them and the test.
struct GroupDispatchLedger: Sendable {
    /// Offsets whose ack was answered.
    var acknowledged: Set<Int64> = []
    /// Offsets whose dead letter was appended durably to the dead-letter partition.
    var deadLetterAppended: Set<Int64> = []
    /// Offsets whose dead-lettering (append and mark) was answered durable.
    var deadLettered: Set<Int64> = []
    /// Deliveries handed out per offset, lost ones included: an upper bound of any count.
    var deliveriesIssued: [Int64: Int] = [:]
    /// The state as of the last answer: every event before it was durable.
    var durable = PersistedPartitionState(committedOffset: 0)
    /// The last group state offset waited durable (for failure messages).
    var durableOffset: Int64 = -1
}
