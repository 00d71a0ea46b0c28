import BrokerProtocol

extension Admin {
    /// Creates a topic unless it already exists with the same partition count: safe to call at
    /// every start of a service that needs the topic, also from several at once.
    ///
    /// Only the partition count is compared; an existing topic keeps its own retention and
    /// segment settings (see ``describeTopic(_:)``).
    /// - Parameters:
    ///   - retention: how long records are kept if the topic is created; `nil` for the broker's
    ///     default.
    ///   - retentionBytes: the most bytes kept per partition if the topic is created; `nil` for
    ///     the broker's default.
    ///   - segmentBytes: the segment size if the topic is created; `nil` for the broker's default.
    /// - Returns: `true` if this call created the topic, `false` if it existed already.
    /// - Throws: ``ClientError`` with code `broker(.topicAlreadyExists)` when the topic exists with
    ///   another partition count (the message names both counts); any error of ``createTopic(_:partitions:retention:retentionBytes:segmentBytes:)``.
    @discardableResult
    public func createTopicIfMissing(
        _ name: String,
        partitions: Int32,
        retention: Duration? = nil,
        retentionBytes: Int64? = nil,
        segmentBytes: Int64? = nil
    ) async throws -> Bool {
        // A topic deleted between the refused creation and the look-up is created again; after
        // a few such rounds the last error stands.
        var attempt = 0
        while true {
            do {
                try await createTopic(
                    name,
                    partitions: partitions,
                    retention: retention,
                    retentionBytes: retentionBytes,
                    segmentBytes: segmentBytes
                )
                return true
            } catch let error as ClientError where error.code == .broker(.topicAlreadyExists) {
                let existing: TopicDescription
                do {
                    existing = try await describeTopic(name)
                } catch let error as ClientError where error.code == .broker(.unknownTopic) && attempt < 3 {
                    attempt += 1
                    continue
                }
                let count = existing.partitions.count
                guard count == Int(partitions) else {
                    throw ClientError(
                        .broker(.topicAlreadyExists),
                        "topic \"\(name)\" already exists with \(count) partition\(count == 1 ? "" : "s"), "
                            + "not the \(partitions) asked for"
                    )
                }
                return false
            }
        }
    }
}
