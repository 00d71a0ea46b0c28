import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import Testing

/// What a client was told about each schedule id while `brokerd` was being killed, and the check
/// of a topic's records against it: every acknowledged schedule in its partition exactly once, at
/// or after its due time; cancelled ones never; unacknowledged ones at most once.
final class ScheduleLedger: @unchecked Sendable {
    /// What was asked for one id and what the broker answered.
    struct Entry {
        /// The due time asked for (absolute, so it is known also when unanswered).
        var due: Int64
        /// `true`: acknowledged; `false`: sent but unanswered or refused in a way that may have
        /// taken effect (the broker died, `requestTimedOut`).
        var scheduleAcknowledged: Bool
        /// The partition the broker chose (acknowledged schedules only).
        var partition: Int32?
        /// A reschedule of the id: its due time, and `replaced` when acknowledged (nil: unanswered).
        var reschedule: (due: Int64, replaced: Bool?)?
        /// A cancel of the id: its outcome when answered (nil: unanswered).
        var cancel: CancelOutcome??
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    func scheduled(_ id: String, due: Int64, partition: Int32?) {
        lock.withLock { entries[id] = Entry(due: due, scheduleAcknowledged: partition != nil, partition: partition) }
    }

    func rescheduled(_ id: String, due: Int64, replaced: Bool?) {
        lock.withLock { entries[id]?.reschedule = (due, replaced) }
    }

    func cancelled(_ id: String, outcome: CancelOutcome?) {
        lock.withLock { entries[id]?.cancel = .some(outcome) }
    }

    /// Acknowledged schedules, reschedules and cancels, for the report.
    var counts: (scheduled: Int, rescheduled: Int, cancelled: Int, unanswered: Int) {
        lock.withLock {
            let values = entries.values
            return (
                values.filter(\.scheduleAcknowledged).count,
                values.filter { $0.reschedule?.replaced != nil }.count,
                values.filter { $0.cancel == .some(.cancelled) }.count,
                values.filter {
                    !$0.scheduleAcknowledged || ($0.reschedule != nil && $0.reschedule?.replaced == nil)
                        || $0.cancel == .some(nil)
                }.count
            )
        }
    }

    /// The due times the id's messages may carry, each a sorted list: one of them must be what
    /// the topic holds for the id.
    func allowedDues(_ id: String) -> [[Int64]] {
        guard let entry = lock.withLock({ entries[id] }) else { return [[]] }
        guard entry.scheduleAcknowledged else { return [[], [entry.due]] }
        if let reschedule = entry.reschedule {
            switch reschedule.replaced {
            case true: return [[reschedule.due]]
            // It had fired before the reschedule arrived: both are delivered.
            case false: return [[entry.due, reschedule.due].sorted()]
            case nil: return [[entry.due], [reschedule.due], [entry.due, reschedule.due].sorted()]
            }
        }
        switch entry.cancel {
        case .none: return [[entry.due]]
        case .some(.none): return [[], [entry.due]]
        case .some(.some(.cancelled)): return [[]]
        case .some(.some(.alreadyDelivered)): return [[entry.due]]
        // `unknown` for an id that was scheduled is wrong whatever the topic holds.
        case .some(.some(.unknown)): return []
        }
    }

    var ids: [String] { lock.withLock { Array(entries.keys) } }

    func partition(of id: String) -> Int32? { lock.withLock { entries[id]?.partition } }

    /// Checks `records` (every record of the topic) against what was answered.
    func check(_ records: [FiredSchedule]) {
        var byID: [String: [FiredSchedule]] = [:]
        var seqs = Set<Int64>()
        for record in records {
            byID[record.id, default: []].append(record)
            #expect(seqs.insert(record.seq).inserted, "schedule seq \(record.seq) (\(record.id)) appended twice")
            #expect(
                record.timestamp >= record.due,
                "\(record.id) appended at \(record.timestamp), before its due time \(record.due)"
            )
        }
        for id in Set(ids).union(byID.keys) {
            let dues = (byID[id] ?? []).map(\.due).sorted()
            let allowed = allowedDues(id)
            #expect(
                allowed.contains(dues),
                "\(id): the topic holds messages due \(dues); allowed: \(allowed) (\(String(describing: lock.withLock { entries[id] })))"
            )
            if let partition = partition(of: id) {
                for record in byID[id] ?? [] where record.due == lock.withLock({ entries[id]?.due }) {
                    #expect(
                        record.partition == partition,
                        "\(id) on partition \(record.partition), answered \(partition)"
                    )
                }
            }
        }
    }
}

/// A record a schedule appended, with its schedule headers.
struct FiredSchedule {
    var id: String
    var due: Int64
    var seq: Int64
    var produced: Int64
    var partition: Int32
    var offset: Int64
    var timestamp: Int64

    init(_ record: ConsumerRecord) throws {
        func header(_ key: String) throws -> String {
            guard let value = record.header(key) else {
                throw CrashTestError("\(record.topic)/\(record.partition)@\(record.offset) has no header \(key)")
            }
            return String(buffer: value)
        }
        id = try header("sluice.schedule.id")
        guard let due = Int64(try header("sluice.schedule.due")), let seq = Int64(try header("sluice.schedule.seq")),
            let produced = Int64(try header("sluice.schedule.produced"))
        else { throw CrashTestError("bad schedule headers at \(record.partition)@\(record.offset)") }
        self.due = due
        self.seq = seq
        self.produced = produced
        partition = record.partition
        offset = record.offset
        timestamp = record.timestamp
    }
}

/// Talking to a `brokerd` child process with the client library.
enum BrokerdClient {
    static func connection(_ address: String) throws -> BrokerConnection {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw CrashTestError("not HOST:PORT: \(address)") }
        var configuration = ConnectionConfiguration()
        configuration.connectAttempts = 1
        return BrokerConnection(
            address: BrokerAddress(host: String(parts[0]), port: port),
            configuration: configuration
        )
    }

    static func createTopic(_ topic: String, partitions: Int32, at address: String) async throws {
        let connection = try connection(address)
        defer { Task { await connection.close() } }
        try await Admin(transport: connection).createTopic(topic, partitions: partitions)
    }

    /// Every record of `topic` now, from the start of each partition.
    static func readAll(_ topic: String, at address: String) async throws -> [ConsumerRecord] {
        let connection = try connection(address)
        defer { Task { await connection.close() } }
        var configuration = ConsumerConfiguration()
        configuration.stopsAtEnd = true
        var records: [ConsumerRecord] = []
        for try await record in Consumer(transport: connection, topic: topic, configuration: configuration).records() {
            records.append(record)
        }
        return records
    }

    /// The topic's pending schedules (all of them, whatever the page holds).
    static func pending(_ topic: String, at address: String) async throws -> Int64 {
        let connection = try connection(address)
        defer { Task { await connection.close() } }
        return try await ScheduleClient(transport: connection).listPage(topic: topic, limit: 1).pending
    }

    /// Waits (bounded: `seconds`) until the topic has no pending schedule, then reads it whole.
    static func drained(_ topic: String, at address: String, seconds: Double = 60) async throws -> [FiredSchedule] {
        let deadline = Date().addingTimeInterval(seconds)
        var pending = try await pending(topic, at: address)
        while pending > 0 {
            guard Date() < deadline else {
                throw CrashTestError("\(pending) schedules still pending after \(seconds) s")
            }
            try await Task.sleep(for: .milliseconds(100))
            pending = try await self.pending(topic, at: address)
        }
        return try await readAll(topic, at: address).map(FiredSchedule.init)
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
