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
        var cursors = runs.map { $0.entries() }
        var heads: [IDEntry?] = []
        heads.reserveCapacity(cursors.count)
        for index in cursors.indices { heads.append(try cursors[index].next()) }
        let inputCount = runs.reduce(0) { $0 + Int($1.entryCount) }
        var bloom = BloomFilter(expectedEntries: inputCount)
        let writer = try RunFileWriter<IDEntryCodec>(path: path, io: io)
        do {
            while true {
                var smallest: IDKey?
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
                switch winner.state {
                case .pending: break
                case .cancelled, .superseded: continue
                case .fired: if winner.changedAt < cutoff { continue }
                }
                try writer.append(winner)
                bloom.insert(winner.idHash)
            }
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
