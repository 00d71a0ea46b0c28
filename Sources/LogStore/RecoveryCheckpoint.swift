import RecordCodec

/// The recovery point of a partition: every batch below `offset` was on disk (fsynced, data and
/// indexes) when the checkpoint was written, so recovery after an unclean stop starts validating at
/// the segment that holds `offset`.
///
/// The file `recovery-point` is 18 bytes, big-endian, replaced atomically (temporary file, fsync,
/// rename, fsync of the directory):
/// ```
/// offset size field
///      0    4 magic    ASCII "SLRP"
///      4    2 version  1
///      6    8 offset   the recovery point
///     14    4 crc      CRC-32C of bytes 0..<14
/// ```
struct RecoveryCheckpoint: Equatable {
    static let fileName = "recovery-point"
    static let size = 18
    static let magic: [UInt8] = Array("SLRP".utf8)
    static let version: UInt16 = 1

    var offset: Int64

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendBigEndian(Self.version)
        bytes.appendBigEndian(offset)
        bytes.appendBigEndian(bytes.withUnsafeBytes { CRC32C.checksum($0) })
        return bytes
    }

    /// Reads the checkpoint in `directory`.
    /// - Returns: `nil` when there is none.
    /// - Throws: `corruptCheckpoint` when the file is there but damaged.
    static func read(directory: String, io: any FileIO = PosixFileIO.shared) throws -> RecoveryCheckpoint? {
        let path = directory + "/" + fileName
        guard FileSystem.exists(path, io: io) else { return nil }
        let buffer = try LogFile.open(path, create: false, io: io).read(at: 0, count: size + 1)
        let bytes = Array(buffer.readableBytesView)
        guard bytes.count == size, Array(bytes[0..<4]) == magic else {
            throw LogStoreError(.corruptCheckpoint, "not an \(size)-byte SLRP checkpoint", path: path)
        }
        let stored = bytes.withUnsafeBytes { UInt32(bigEndianBytes: $0, at: 14) }
        let computed = bytes[0..<14].withUnsafeBytes { CRC32C.checksum($0) }
        guard stored == computed else {
            throw LogStoreError(.corruptCheckpoint, "CRC mismatch", path: path, position: 14)
        }
        let version = bytes.withUnsafeBytes { UInt16(bigEndianBytes: $0, at: 4) }
        guard version == Self.version else {
            throw LogStoreError(.corruptCheckpoint, "unknown version \(version)", path: path, position: 4)
        }
        return RecoveryCheckpoint(offset: bytes.withUnsafeBytes { Int64(bigEndianBytes: $0, at: 6) })
    }

    /// Replaces the checkpoint in `directory` atomically.
    func write(directory: String, io: any FileIO = PosixFileIO.shared) throws {
        try FileSystem.writeAtomically(encoded(), to: directory + "/" + Self.fileName, directory: directory, io: io)
    }
}
