import Foundation
import LogStore

/// A topic's settings, stored as `topic.json` in its directory:
/// `{"partitionCount": 3, "retentionMilliseconds": 604800000, "retentionBytes": null, "segmentBytes": 1073741824}`.
/// Written atomically (temporary file, fsync, rename, directory fsync).
struct TopicSettings: Codable, Hashable, Sendable {
    static let fileName = "topic.json"

    var partitionCount: Int32
    var retentionMilliseconds: Int64?
    var retentionBytes: Int64?
    var segmentBytes: Int

    /// The LogStore configuration for this topic's partitions.
    func logConfiguration(broker: BrokerConfiguration) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentBytes = segmentBytes
        configuration.retentionMilliseconds = retentionMilliseconds
        configuration.retentionBytes = retentionBytes
        configuration.maxBatchBytes = broker.limits.maxBatchBytes
        configuration.flushPolicy = .interval(milliseconds: broker.flushIntervalMilliseconds)
        return configuration
    }

    static func read(from directory: String) throws -> TopicSettings {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + fileName))
        return try JSONDecoder().decode(TopicSettings.self, from: data)
    }

    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        try DurableFile.write(data, to: directory + "/" + Self.fileName, directory: directory)
    }
}

/// Atomic, durable small-file writes for the broker's metadata.
enum DurableFile {
    /// temporary file, fsync, rename, fsync of the directory.
    static func write(_ data: Data, to path: String, directory: String) throws {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BrokerError(.storageError, "cannot create \(temporary): errno \(errno)") }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == data.count, synced == 0 else {
            throw BrokerError(.storageError, "cannot write \(temporary): errno \(errno)")
        }
        guard rename(temporary, path) == 0 else { throw BrokerError(.storageError, "cannot rename \(temporary)") }
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
