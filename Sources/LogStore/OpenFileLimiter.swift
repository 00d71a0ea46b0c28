import NIOConcurrencyHelpers

/// Keeps at most `limit` of a log's on-demand files open: the files of sealed segments, which are
/// opened when a read needs them and closed again, least recently used first, when more than
/// `limit` are open (``LogConfiguration/openSealedSegmentsLimit``).
///
/// A file in use (a read or a sync running on it) is never closed; if every open file is in use,
/// the limit is exceeded until one is released (by at most the number of threads using the log:
/// its owner and the flush thread). Thread-safe: one lock, held to open or close a descriptor but
/// never across a read or a sync.
final class OpenFileLimiter: Sendable {
    private struct Entry {
        var descriptor: Int32
        var users: Int
        var lastUse: UInt64
        let io: any FileIO
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var clock: UInt64 = 0
    }

    /// The most on-demand files kept open.
    let limit: Int
    private let state = NIOLockedValueBox(State())

    init(limit: Int) {
        precondition(limit >= 1)
        self.limit = limit
    }

    /// How many on-demand files are open now.
    var openCount: Int { state.withLockedValue { $0.entries.count } }

    /// Runs `body` with the descriptor of `file`, opening it first if needed.
    func withDescriptor<T>(of file: LogFile, _ body: (Int32) throws -> T) throws -> T {
        let descriptor = try acquire(file)
        defer { release(file) }
        return try body(descriptor)
    }

    private func acquire(_ file: LogFile) throws -> Int32 {
        let key = ObjectIdentifier(file)
        return try state.withLockedValue { state in
            state.clock += 1
            if var entry = state.entries[key] {
                entry.users += 1
                entry.lastUse = state.clock
                state.entries[key] = entry
                return entry.descriptor
            }
            let descriptor: Int32
            do throws(FileIOError) {
                descriptor = try file.io.open(file.path, create: false)
            } catch {
                throw LogStoreError(error, path: file.path)
            }
            state.entries[key] = Entry(descriptor: descriptor, users: 1, lastUse: state.clock, io: file.io)
            // Close the least recently used idle files beyond the limit.
            while state.entries.count > limit {
                guard
                    let (victim, entry) = state.entries.filter({ $0.value.users == 0 })
                        .min(by: { $0.value.lastUse < $1.value.lastUse })
                else { break }
                entry.io.close(entry.descriptor)
                state.entries.removeValue(forKey: victim)
            }
            return descriptor
        }
    }

    private func release(_ file: LogFile) {
        state.withLockedValue { state in
            state.entries[ObjectIdentifier(file)]?.users -= 1
        }
    }

    /// Closes `file`'s descriptor if it is open; called when the file goes away.
    func forget(_ file: LogFile) {
        state.withLockedValue { state in
            if let entry = state.entries.removeValue(forKey: ObjectIdentifier(file)) {
                entry.io.close(entry.descriptor)
            }
        }
    }
}
