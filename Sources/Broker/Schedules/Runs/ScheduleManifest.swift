import LogStore
import RecordCodec

/// The scheduler's manifest (`<schedules dir>/manifest`): the runs in use, the schedule log offset
/// their contents reach, the fired watermark and the counters the scheduler restarts from. Replaced
/// atomically (``write(directory:io:)``) after the runs it names are synced.
///
/// Big-endian, strings as uint16 length + UTF-8, maps sorted by key:
/// ```
/// field            type
/// magic            4 bytes "SLSM"
/// version          uint16, 1
/// flushedOffset    int64
/// watermark        int64 due, int64 seq
/// nextRunNumber    uint64
/// dueRuns          uint32 count, then count strings (oldest first)
/// idRuns           uint32 count, then count strings (oldest first)
/// pendingByTopic   uint32 count, then count × (string topic, int64 pending)
/// liveBySegment    uint32 count, then count × (int64 base offset, int64 live)
/// crc              uint32 CRC-32C of every byte before it
/// ```
struct ScheduleManifest: Hashable, Sendable {
    /// The file's name in the schedules directory.
    static let fileName = "manifest"
    /// The format version written and accepted.
    static let currentVersion: UInt16 = 1
    /// The largest manifest read: a bigger file is reported as damaged rather than loaded.
    static let maximumBytes = 64 << 20
    static let magic: [UInt8] = Array("SLSM".utf8)

    /// The format version (``currentVersion``).
    var version: UInt16 = currentVersion
    /// The schedule log offset the runs' contents reach: replay starts there.
    var flushedOffset: Int64 = 0
    /// Every due entry below it is fired or dead.
    var watermark = DueKey.minimum
    /// The due runs' file names, oldest first.
    var dueRuns: [String] = []
    /// The id runs' file names, oldest first.
    var idRuns: [String] = []
    /// The number the next run file gets.
    var nextRunNumber: UInt64 = 0
    /// Pending schedules per topic.
    var pendingByTopic: [String: Int64] = [:]
    /// Schedule log segment base offset → live schedules in it.
    var liveBySegment: [Int64: Int64] = [:]

    /// The manifest's bytes.
    /// - Throws: ``BrokerError`` `storageError` if a name is too long for its uint16 length or the version is not current.
    func encoded() throws -> [UInt8] {
        guard version == Self.currentVersion else {
            throw BrokerError(
                .storageError,
                "manifest version \(version) cannot be written (only \(Self.currentVersion))"
            )
        }
        var bytes = Self.magic
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        }
        func append(_ string: String) throws {
            let utf8 = Array(string.utf8)
            guard utf8.count <= Int(UInt16.max) else {
                throw BrokerError(.storageError, "manifest: a name of \(utf8.count) bytes is too long")
            }
            append(UInt16(utf8.count))
            bytes.append(contentsOf: utf8)
        }
        append(version)
        append(flushedOffset)
        append(watermark.due)
        append(watermark.seq)
        append(nextRunNumber)
        for names in [dueRuns, idRuns] {
            append(UInt32(names.count))
            for name in names { try append(name) }
        }
        append(UInt32(pendingByTopic.count))
        for (topic, pending) in pendingByTopic.sorted(by: { $0.key < $1.key }) {
            try append(topic)
            append(pending)
        }
        append(UInt32(liveBySegment.count))
        for (base, live) in liveBySegment.sorted(by: { $0.key < $1.key }) {
            append(base)
            append(live)
        }
        append(bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return bytes
    }

    /// Reads the manifest in `directory` (a leftover `manifest.tmp` is ignored).
    /// - Returns: `nil` when there is none.
    /// - Throws: ``BrokerError`` `storageError` naming the file when it is damaged or cannot be read.
    static func read(directory: String, io: any FileIO = PosixFileIO.shared) throws -> ScheduleManifest? {
        let path = directory + "/" + fileName
        guard io.exists(path) else { return nil }
        let descriptor: Int32
        let size: Int64
        do throws(FileIOError) {
            descriptor = try io.open(path, create: false)
            size = try io.fileSize(descriptor)
        } catch {
            throw RunFileFormat.storageError(path, "\(error)")
        }
        defer { io.close(descriptor) }
        guard size <= Int64(maximumBytes) else {
            throw RunFileFormat.storageError(path, "\(size) bytes, more than the \(maximumBytes) a manifest may hold")
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        let read = try bytes.withUnsafeMutableBytes { buffer in
            try RunFile<DueEntryCodec>.readFully(path: path, io: io, descriptor: descriptor, into: buffer, at: 0)
        }
        bytes.removeLast(bytes.count - read)
        return try decode(bytes, path: path)
    }

    /// Parses a manifest's bytes.
    /// - Throws: ``BrokerError`` `storageError` naming `path` when they are damaged.
    static func decode(_ bytes: [UInt8], path: String) throws -> ScheduleManifest {
        guard bytes.count >= magic.count + 6, Array(bytes[0..<4]) == magic else {
            throw RunFileFormat.storageError(path, "not a schedule manifest (\(bytes.count) bytes, no SLSM magic)")
        }
        var reader = ManifestReader(bytes: bytes[0..<(bytes.count - 4)], path: path)
        let stored = bytes[(bytes.count - 4)...].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard stored == CRC32C.checksum(bytes[0..<(bytes.count - 4)]) else {
            throw RunFileFormat.storageError(path, "CRC mismatch")
        }
        reader.position = 4
        var manifest = ScheduleManifest()
        manifest.version = try reader.integer()
        guard manifest.version == currentVersion else {
            throw RunFileFormat.storageError(path, "unknown manifest version \(manifest.version)")
        }
        manifest.flushedOffset = try reader.integer()
        manifest.watermark = DueKey(due: try reader.integer(), seq: try reader.integer())
        manifest.nextRunNumber = try reader.integer()
        guard manifest.flushedOffset >= 0 else {
            throw RunFileFormat.storageError(path, "negative flushed offset \(manifest.flushedOffset)")
        }
        for suffix in ["due", "ids"] {
            let count: UInt32 = try reader.integer()
            var names: [String] = []
            for _ in 0..<count {
                let name = try reader.string()
                guard let parsed = RunFileName.parse(name), parsed.suffix == suffix,
                    parsed.number < manifest.nextRunNumber
                else {
                    throw RunFileFormat.storageError(path, "bad run file name \"\(name)\" in the \(suffix) runs")
                }
                names.append(name)
            }
            if suffix == "due" { manifest.dueRuns = names } else { manifest.idRuns = names }
        }
        let topics: UInt32 = try reader.integer()
        for _ in 0..<topics {
            let topic = try reader.string()
            let pending: Int64 = try reader.integer()
            guard pending >= 0, manifest.pendingByTopic.updateValue(pending, forKey: topic) == nil else {
                throw RunFileFormat.storageError(path, "bad pending count \(pending) for topic \"\(topic)\"")
            }
        }
        let segments: UInt32 = try reader.integer()
        for _ in 0..<segments {
            let base: Int64 = try reader.integer()
            let live: Int64 = try reader.integer()
            guard base >= 0, live >= 0, manifest.liveBySegment.updateValue(live, forKey: base) == nil else {
                throw RunFileFormat.storageError(path, "bad live count \(live) for segment \(base)")
            }
        }
        guard reader.position == reader.bytes.endIndex else {
            throw RunFileFormat.storageError(
                path,
                "\(reader.bytes.endIndex - reader.position) unexpected bytes at the end"
            )
        }
        return manifest
    }

    /// Replaces the manifest in `directory` atomically: `manifest.tmp` written and `fdatasync`ed,
    /// renamed to `manifest`, the directory synced.
    /// - Throws: ``BrokerError`` `storageError` naming the file when a step fails (the previous
    ///   manifest is then still in place).
    func write(directory: String, io: any FileIO = PosixFileIO.shared) throws {
        let path = directory + "/" + Self.fileName
        let bytes = try encoded()
        do {
            try FileSystem.writeAtomically(bytes, to: path, directory: directory, io: io)
        } catch {
            throw RunFileFormat.storageError(path, "not written: \(error)")
        }
    }
}

/// Reads the manifest's fields in order, throwing when the bytes end early.
private struct ManifestReader {
    let bytes: ArraySlice<UInt8>
    let path: String
    var position = 0

    init(bytes: ArraySlice<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        position = bytes.startIndex
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= bytes.endIndex - position else {
            throw RunFileFormat.storageError(path, "cut short at byte \(position) (wanted \(count) more)")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    mutating func integer<T: FixedWidthInteger>() throws -> T {
        try take(MemoryLayout<T>.size).reduce(T.zero) { $0 << 8 | T(truncatingIfNeeded: $1) }
    }

    mutating func string() throws -> String {
        let count: UInt16 = try integer()
        let utf8 = try take(Int(count))
        guard let string = String(validating: utf8, as: UTF8.self) else {
            throw RunFileFormat.storageError(path, "a name that is not UTF-8 at byte \(position - Int(count))")
        }
        return string
    }
}
