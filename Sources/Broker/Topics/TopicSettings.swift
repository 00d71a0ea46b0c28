import Foundation
import LogStore

/// A topic's settings, stored as `topic.json` in its directory:
/// `{"partitionCount":3,"retentionMilliseconds":604800000,"segmentBytes":1073741824}` (keys sorted; a
/// setting without a limit is left out).
/// Written atomically (temporary file, fsync, rename, directory fsync).
struct TopicSettings: Codable, Hashable, Sendable {
    static let fileName = "topic.json"

    var partitionCount: Int32
    var retentionMilliseconds: Int64?
    var retentionBytes: Int64?
    var segmentBytes: Int
    /// A random number drawn when the topic was created (absent in topics created before it was
    /// recorded): schedules remember it, so that those of a deleted topic never fire into a new
    /// topic of the same name.
    var incarnation: UInt64?

    /// The LogStore configuration for this topic's partitions.
    func logConfiguration(broker: BrokerConfiguration) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentBytes = segmentBytes
        configuration.retentionMilliseconds = retentionMilliseconds
        configuration.retentionBytes = retentionBytes
        configuration.maxBatchBytes = broker.limits.maxBatchBytes
        configuration.maxDecompressedBatchBytes = broker.limits.maxDecompressedBatchBytes
        configuration.flushPolicy = .interval(milliseconds: broker.flushIntervalMilliseconds)
        return configuration
    }

    /// Reads `topic.json` from `directory`.
    /// - Throws: ``BrokerError`` `storageError` naming the file and what is wrong with it.
    static func read(from directory: String) throws -> TopicSettings {
        let path = directory + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BrokerError(.storageError, "cannot read \(path)")
        }
        let settings: TopicSettings
        do {
            settings = try JSONDecoder().decode(TopicSettings.self, from: data)
        } catch {
            throw BrokerError(.storageError, "\(path) does not hold topic settings: \(Self.describe(error))")
        }
        guard settings.partitionCount >= 1 else {
            throw BrokerError(
                .storageError,
                "\(path) has partitionCount \(settings.partitionCount); at least 1 is needed"
            )
        }
        return settings
    }

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context): "not valid JSON (\(context.debugDescription))"
        case .keyNotFound(let key, _): "the key '\(key.stringValue)' is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "the value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        default: "not valid JSON"
        }
    }

    func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        try FileSystem.writeAtomically(Array(data), to: directory + "/" + Self.fileName, directory: directory)
    }
}
