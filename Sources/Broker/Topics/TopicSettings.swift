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
        try FileSystem.writeAtomically(Array(data), to: directory + "/" + Self.fileName, directory: directory)
    }
}
