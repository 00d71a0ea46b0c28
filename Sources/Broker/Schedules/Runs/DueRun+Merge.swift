import LogStore

extension DueRun {
    /// Merges all due runs into one at `path`: a k-way merge by key reading one block per run at a
    /// time (memory: O(runs × block) plus the output's block index).
    ///
    /// For each key the entry of the newest run holding it wins: a tombstone removes the key (the
    /// entries it cancels, in older runs, go with it), and tombstones themselves are dropped, since no
    /// older run is left for them to cancel. Keys below `watermark` are dropped (the runs are read
    /// from it).
    ///
    /// The result is always a run, with 0 entries when nothing is left (the caller may delete it).
    /// The file is `fdatasync`ed; the caller syncs the directory. A partial file is removed on failure.
    /// - Parameter runs: every due run, oldest first.
    /// - Throws: ``BrokerError`` `storageError` naming the file when an input is damaged or a write fails.
    static func merge(
        _ runs: [DueRun],
        droppingBelow watermark: DueKey,
        to path: String,
        io: any FileIO = PosixFileIO.shared
    ) throws -> DueRun {
        var cursors = runs.map { $0.entries(from: watermark) }
        var heads: [DueEntry?] = []
        heads.reserveCapacity(cursors.count)
        for index in cursors.indices { heads.append(try cursors[index].next()) }
        let writer = try RunFileWriter<DueEntryCodec>(path: path, io: io)
        do {
            while true {
                // The smallest key among the heads, and the newest run holding it.
                var smallest: DueKey?
                var newest = -1
                for (index, head) in heads.enumerated() {
                    guard let key = head?.key else { continue }
                    if smallest == nil || key <= smallest! {
                        smallest = key
                        newest = index
                    }
                }
                guard let key = smallest else { break }
                let winner = heads[newest]!
                for index in heads.indices where heads[index]?.key == key {
                    heads[index] = try cursors[index].next()
                }
                if !winner.isTombstone { try writer.append(winner) }
            }
            return DueRun.wrapping(try writer.finish())
        } catch {
            writer.abandon()
            throw error
        }
    }
}
