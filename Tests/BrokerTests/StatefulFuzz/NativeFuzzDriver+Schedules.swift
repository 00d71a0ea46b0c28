import BrokerProtocol
import Foundation
import NIOCore

/// Delayed delivery: schedule, cancel, list.
extension NativeFuzzDriver {
    /// A schedule id: from a small pool (so that ids repeat), at 1 and 1,024 bytes, or one byte over.
    func scheduleID() -> String? {
        switch values.int(in: 0...9) {
        case 0...1: return nil
        case 2...6: return "s\(values.int(in: 0...5))"
        case 7: return "x"
        case 8: return String(repeating: "L", count: ScheduleLimits.maxScheduleIDBytes)
        default: return values.chance(0.2) ? String(repeating: "O", count: ScheduleLimits.maxScheduleIDBytes + 1) : "s0"
        }
    }

    func schedule() async throws {
        let topic = pickTopic()
        let count = values.chance(0.9) ? values.int(in: 1...4) : 200
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var ids: [String?] = []
        let entries = (0..<count).map { index in
            let id = scheduleID()
            ids.append(id)
            let partition: Int32? = values.chance(0.5) ? nil : pickPartition(of: topic)
            var deliverAt: Int64?
            var delay: Int64?
            switch values.int(in: 0...9) {
            case 0...3: delay = values.int64(ordinary: 0...200)
            case 4...7: deliverAt = values.int64(ordinary: now - 1000...now + 500)
            case 8: (deliverAt, delay) = (now, 5)
            default: break
            }
            return ScheduleRequest.Entry(
                partition: partition,
                deliverAt: deliverAt,
                delayMilliseconds: delay,
                scheduleID: id,
                timestamp: values.chance(0.6) ? nil : values.int64(ordinary: now - 1000...now),
                key: values.chance(0.5) ? nil : ByteBuffer(string: "k"),
                value: ByteBuffer(string: "sched-\(steps)-\(index)")
            )
        }
        let acks = values.pick(Acks.allCases)
        let request = ScheduleRequest(
            acks: acks,
            timeoutMilliseconds: values.uint32(ordinary: 1_000...30_000),
            topic: topic,
            entries: entries
        )
        note(
            "schedule \(topic) acks \(acks) \(entries.prefix(4).map { "\($0.scheduleID.map { String($0.prefix(8)) + "(\($0.utf8.count))" } ?? "-") p\(String(describing: $0.partition)) at \(String(describing: $0.deliverAt)) after \(String(describing: $0.delayMilliseconds))" })"
        )
        if acks == .none {
            let id = nextCorrelationID
            nextCorrelationID += 1
            try await connections[values.int(in: 0...connections.count - 1)].send(request, correlationID: id)
            return
        }
        let (response, frame) = try await call(request, as: ScheduleResponse.self)
        let oversized = ids.contains { ($0?.utf8.count ?? 0) > ScheduleLimits.maxScheduleIDBytes }
        guard let response else {
            if oversized, frame.errorCode != .invalidRequest {
                throw Finding(description: "schedule with a 1,025-byte id got \(frame.errorCode), not invalidRequest")
            }
            return
        }
        if oversized { throw Finding(description: "schedule with a 1,025-byte id was served") }
        guard response.entries.count == entries.count else {
            throw Finding(description: "schedule: \(response.entries.count) results for \(entries.count) entries")
        }
        try checkEntries(response.entries.map(\.errorCode), response.entries.map(\.errorMessage), api: .schedule)
        for result in response.entries where result.errorCode == .none {
            if let id = result.scheduleID, !scheduleIDs.contains(id) {
                scheduleIDs.append(id)
                if scheduleIDs.count > 64 { scheduleIDs.removeFirst() }
            }
        }
    }

    func cancelSchedules() async throws {
        let topic = pickTopic()
        let ids: [String] = (0..<values.int(in: 0...4)).compactMap { _ in
            if !scheduleIDs.isEmpty, values.chance(0.5) { return values.pick(scheduleIDs) }
            return scheduleID()
        }
        note("cancelSchedule \(topic) \(ids.map { String($0.prefix(8)) + "(\($0.utf8.count))" })")
        let (response, frame) = try await call(
            CancelScheduleRequest(topic: topic, scheduleIDs: ids),
            as: CancelScheduleResponse.self
        )
        let invalid = ids.contains { $0.utf8.count > ScheduleLimits.maxScheduleIDBytes }
        guard let response else {
            if invalid, frame.errorCode != .invalidRequest {
                throw Finding(
                    description: "cancelSchedule with a 1,025-byte id got \(frame.errorCode), not invalidRequest"
                )
            }
            return
        }
        if invalid { throw Finding(description: "cancelSchedule with a 1,025-byte id was served") }
        guard response.entries.count == ids.count else {
            throw Finding(description: "cancelSchedule: \(response.entries.count) results for \(ids.count) ids")
        }
        try checkEntries(response.entries.map(\.errorCode), response.entries.map(\.errorMessage), api: .cancelSchedule)
    }

    func listSchedules() async throws {
        let topic = pickTopic()
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var cursor: ByteBuffer?
        switch values.int(in: 0...3) {
        case 0: cursor = scheduleCursor
        case 1: cursor = ByteBuffer(bytes: values.bytes(values.pick([1, 16, 64, ScheduleLimits.maxCursorBytes])))
        default: cursor = nil
        }
        let limit: Int32 =
            values.chance(0.8) ? Int32(values.int(in: 1...1000)) : values.pick([0, -1, .min, .max, 1001])
        let request = ListSchedulesRequest(
            topic: topic,
            dueBefore: values.optionalInt64(ordinary: now...now + 1000),
            idPrefix: values.chance(0.5) ? nil : values.pick(["", "s", "L", "zz"]),
            cursor: cursor,
            limit: limit
        )
        note(
            "listSchedules \(topic) dueBefore \(String(describing: request.dueBefore)) prefix \(String(describing: request.idPrefix)) cursor \(cursor?.readableBytes ?? -1) limit \(limit)"
        )
        let (response, _) = try await call(request, as: ListSchedulesResponse.self)
        scheduleCursor = response?.cursor
    }
}
