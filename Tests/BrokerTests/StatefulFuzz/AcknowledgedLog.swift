import BrokerProtocol
import Foundation
import NIOCore
import RecordCodec

/// The fuzzer's model of what the broker acknowledged: per partition, the key and value bytes
/// answered at each offset. The broker's log must keep them, at those offsets, with dense offsets
/// around them.
struct AcknowledgedLog {
    struct Place: Hashable, CustomStringConvertible {
        var topic: String
        var partition: Int32
        var description: String { "\(topic)/\(partition)" }
    }

    struct Content: Equatable {
        var key: [UInt8]?
        var value: [UInt8]?
        init(key: ByteBuffer?, value: ByteBuffer?) {
            self.key = key.map { Array($0.readableBytesView) }
            self.value = value.map { Array($0.readableBytesView) }
        }
    }

    private(set) var records: [Place: [Int64: Content]] = [:]
    /// The offset each message id was first answered at, per partition (within the duplicate
    /// window, which is longer than a run; forgotten at a restart, where ids are dated by their
    /// records' timestamps).
    var messageIDOffsets: [Place: [String: Int64]] = [:]
    /// Topics created with their own retention: their oldest records may be deleted legitimately.
    var retentionMayDelete: Set<String> = []

    var places: [Place] { Array(records.keys) }

    mutating func acknowledge(_ place: Place, offset: Int64, _ content: Content) -> String? {
        if let earlier = records[place]?[offset], earlier != content {
            return "offset \(offset) of \(place) was acknowledged twice with different records"
        }
        records[place, default: [:]][offset] = content
        return nil
    }

    /// A record with message id `id` answered at `offset`: a later copy must get the first offset.
    mutating func acknowledge(_ place: Place, messageID id: String, offset: Int64) -> String? {
        if let first = messageIDOffsets[place]?[id], first != offset {
            return "message id \(id) on \(place) was answered at offset \(offset), its first copy at \(first)"
        }
        messageIDOffsets[place, default: [:]][id] = offset
        return nil
    }

    mutating func forget(topic: String) {
        records = records.filter { $0.key.topic != topic }
        messageIDOffsets = messageIDOffsets.filter { $0.key.topic != topic }
        retentionMayDelete.remove(topic)
    }

    /// Reads `place` from its log start to its end through `fetch` and returns the first broken
    /// invariant: offsets not dense, an acknowledged record missing or different.
    func check(
        _ place: Place,
        fetch: (Int64) async throws -> FetchResponse.PartitionData
    ) async throws -> String? {
        guard let expected = records[place], !expected.isEmpty else { return nil }
        var offset: Int64 = 0
        var seen: [Int64: Content] = [:]
        var logStart: Int64 = 0
        var logEnd: Int64 = 0
        for _ in 0..<10_000 {
            let data = try await fetch(offset)
            logStart = data.logStartOffset
            logEnd = data.logEndOffset
            if data.errorCode == .offsetOutOfRange || data.errorCode == .offsetsLost, offset < logStart {
                offset = logStart
                continue
            }
            guard data.errorCode == .none else {
                return "fetch \(place) at \(offset): \(data.errorCode) \(data.errorMessage ?? "")"
            }
            let fetched = try decodeRecords(data.records)
            var next = offset
            for record in fetched where record.offset >= offset {
                guard record.offset == next else {
                    return
                        "offsets of \(place) not dense: \(record.offset) after \(next - 1) (log \(logStart)..<\(logEnd))"
                }
                seen[record.offset] = Content(key: record.key, value: record.value)
                next += 1
            }
            if next >= logEnd { break }
            guard next > offset else { return "fetch \(place) at \(offset) < log end \(logEnd) returned nothing" }
            offset = next
        }
        for (offset, content) in expected.sorted(by: { $0.key < $1.key }) {
            if offset < logStart, retentionMayDelete.contains(place.topic) { continue }
            guard offset < logEnd else {
                return "acknowledged offset \(offset) of \(place) is past the log end \(logEnd)"
            }
            guard let found = seen[offset] else { return "acknowledged offset \(offset) of \(place) is gone" }
            guard found == content else {
                return "offset \(offset) of \(place) holds other bytes than were acknowledged"
            }
        }
        return nil
    }
}

/// The resident memory and open descriptors of this process (the embedded broker runs in it).
enum ProcessProbe {
    static func residentKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }
}

/// A produce entry the fuzzer sent: where, its bytes, what each record holds, and (once answered)
/// its offsets.
struct ProduceSent {
    struct Producer {
        var index: Int
        var place: AcknowledgedLog.Place
        var sequence: Int32
    }

    var place: AcknowledgedLog.Place
    var batch: ByteBuffer
    var hasMessageIDs: Bool
    var contents: [AcknowledgedLog.Content]
    var ids: [String?]
    var offsets: [Int64] = []
}
