import NIOCore

extension Segment {
    /// Bytes copied at a time when valid batches move to a new segment.
    static let moveChunkBytes = 8 << 20

    /// Copies the `.log` bytes from `position` to the end into a new segment `<baseOffset>.log`,
    /// which must not exist yet: written as `.log.tmp`, fsynced, renamed, and the directory fsynced,
    /// so that the new segment is complete before this one is cut. A crash before the rename leaves
    /// a `.tmp` file, which the next open removes; a crash after it leaves both copies, and the next
    /// recovery of this segment cuts its copy (its offsets reach the new segment's base).
    func moveTail(from position: Int64, toSegmentAt baseOffset: Int64) throws {
        let target = directory + "/" + Self.fileName(baseOffset: baseOffset, suffix: ".log")
        let temporary = target + ".tmp"
        // Through the segment's file system, as every other file operation: on a simulated disk the
        // copy, its sync, the rename and the directory sync are all subject to faults and power cuts.
        let copy = try LogFile.open(temporary, create: true, io: io)
        do {
            try copy.truncate(to: 0)
            var from = position
            while from < size {
                let count = Int(min(size - from, Int64(Self.moveChunkBytes)))
                let chunk = try log.read(at: from, count: count)
                guard chunk.readableBytes == count else {
                    throw LogStoreError(
                        .badLength,
                        "file ended early while moving batches",
                        path: log.path,
                        position: from
                    )
                }
                try copy.write(chunk, at: from - position)
                from += Int64(count)
            }
            try copy.sync()
        } catch {
            // Nothing of the move is visible yet: remove the partial copy (a failure to do so
            // leaves a `.tmp` file, which the next open removes).
            try? FileSystem.remove(temporary, io: io)
            throw error
        }
        try FileSystem.rename(temporary, to: target, io: io)
        try FileSystem.syncDirectory(directory, io: io)
    }
}
