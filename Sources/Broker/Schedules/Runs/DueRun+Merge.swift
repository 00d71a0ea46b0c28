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
        var merge = NewestWinsMerge(runs.map { $0.entries(from: watermark) }, key: \.key)
        let writer = try RunFileWriter<DueEntryCodec>(path: path, io: io)
        do {
            while let (winner, _) = try merge.next() {
                if !winner.isTombstone { try writer.append(winner) }
            }
            return DueRun.wrapping(try writer.finish())
        } catch {
            writer.abandon()
            throw error
        }
    }
}
