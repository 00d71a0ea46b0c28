import LogStore

extension IDRun {
    /// Merges all id runs into one at `path`: a k-way merge by (idHash, seq) reading one block per
    /// run at a time (memory: O(runs × block) plus the output's block index and Bloom filter).
    ///
    /// For each key the entry of the newest run holding it wins; then `cancelled` and `superseded`
    /// entries are dropped, and `fired` ones whose `changedAt` is before `now -
    /// firedRetentionMilliseconds`; `pending` ones are kept.
    ///
    /// The Bloom filter is sized for the inputs' entries; when the merge keeps fewer than half of
    /// them it is rebuilt at the right size from the written blocks (one more sequential read).
    /// The result is always a run, with 0 entries when nothing is left (the caller may delete it).
    /// The file is `fdatasync`ed; the caller syncs the directory. A partial file is removed on failure.
    /// - Parameter runs: every id run, oldest first.
    /// - Throws: ``BrokerError`` `storageError` naming the file when an input is damaged or a write fails.
    static func merge(
        _ runs: [IDRun],
        now: Int64,
        firedRetentionMilliseconds: Int64,
        to path: String,
        io: any FileIO = PosixFileIO.shared
    ) throws -> IDRun {
        let (firedCutoff, overflow) = now.subtractingReportingOverflow(firedRetentionMilliseconds)
        let cutoff = overflow ? (firedRetentionMilliseconds > 0 ? Int64.min : Int64.max) : firedCutoff
        var merge = NewestWinsMerge(runs.map { $0.entries() }, key: \.key)
        let inputCount = runs.reduce(0) { $0 + Int($1.entryCount) }
        var bloom = BloomFilter(expectedEntries: inputCount)
        let writer = try RunFileWriter<IDEntryCodec>(path: path, io: io)
        // The winners of one hash, by seq; written once the hash is complete, newest first
        // deciding: a cancelled or superseded schedule is dropped, and so are the fired ones of
        // that hash before it (the id's latest schedule was cancelled: a cancel answers
        // `unknown`, as it did before the merge, not the older fire's `alreadyDelivered`).
        var group: [IDEntry] = []
        func flush() throws {
            var kept: [IDEntry] = []
            var shadowed = false
            for entry in group.reversed() {
                switch entry.state {
                case .pending: kept.append(entry)
                case .cancelled, .superseded: shadowed = true
                case .fired: if !shadowed && entry.changedAt >= cutoff { kept.append(entry) }
                }
            }
            for entry in kept.reversed() {
                try writer.append(entry)
                bloom.insert(entry.idHash)
            }
            group.removeAll(keepingCapacity: true)
        }
        do {
            while let (winner, _) = try merge.next() {
                if let first = group.first, first.idHash != winner.idHash {
                    try flush()
                }
                group.append(winner)
            }
            try flush()
            try writer.sealAll()
            if writer.entryCount == 0 {
                bloom = BloomFilter(expectedEntries: 0)
            } else if writer.entryCount < Int64(inputCount / 2) {
                // A separate variable: capturing `bloom` in the closure would box it for the whole merge.
                var rebuilt = BloomFilter(expectedEntries: Int(writer.entryCount))
                try writer.forEachWrittenEntry { rebuilt.insert($0.idHash) }
                bloom = rebuilt
            }
            return IDRun.wrapping(try writer.finish(bloom: bloom))
        } catch {
            writer.abandon()
            throw error
        }
    }
}
