import Foundation
import LogStore
import NIOConcurrencyHelpers

/// Hands out idempotent-producer ids that are never reused, even across restarts.
///
/// Ids are reserved in blocks of ``blockSize``: the file `producer-ids` in the data directory holds
/// the first id of the next unreserved block, written atomically before any id of the new block is
/// given out. A restart skips the rest of the block in use, which costs nothing.
final class ProducerIDAllocator: Sendable {
    static let fileName = "producer-ids"
    static let blockSize: Int64 = 1000

    private let directory: String
    private let state: NIOLockedValueBox<(next: Int64, reservedUpTo: Int64)>

    init(directory: String) throws {
        self.directory = directory
        let path = directory + "/" + Self.fileName
        let start: Int64
        if TopicDirectory.exists(path) {
            // A file that is there but cannot be read must not restart the ids at 0 (they would be reused).
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BrokerError(.storageError, "cannot read \(path)")
            }
            let text = String(decoding: data, as: UTF8.self)
            guard let value = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), value >= 0 else {
                throw BrokerError(.storageError, "\(path) does not hold a producer id")
            }
            start = value
        } else {
            start = 0
        }
        state = NIOLockedValueBox((start, start))
    }

    /// The epoch ``allocate()``'s ids come with: the only one a produce may carry.
    static let issuedEpoch: Int16 = 0

    /// Which ids have been handed out (every id below the next one) and their epoch: a produce
    /// with any other id or epoch is refused with `unknownProducer`.
    var issued: IssuedProducers {
        IssuedProducers(idBound: state.withLockedValue { $0.next }, epoch: Self.issuedEpoch)
    }

    /// The next id. Blocks for an fsync once every ``blockSize`` ids: call it off the event loops.
    func allocate() throws -> Int64 {
        try state.withLockedValue { state in
            if state.next >= state.reservedUpTo {
                let reservedUpTo = state.next + Self.blockSize
                try FileSystem.writeAtomically(
                    Array("\(reservedUpTo)\n".utf8),
                    to: directory + "/" + Self.fileName,
                    directory: directory
                )
                state.reservedUpTo = reservedUpTo
            }
            defer { state.next += 1 }
            return state.next
        }
    }
}
