/// A record handed to a ``Producer`` but perhaps not yet acknowledged: await ``metadata()``.
public struct PendingRecord: Sendable {
    let topic: String
    let outcome: BatchOutcome
    let index: Int

    /// Waits until the record's batch is acknowledged.
    /// - Throws: ``ClientError`` if the batch could not be delivered.
    public func metadata() async throws -> RecordMetadata {
        let placement = try await outcome.value()
        return RecordMetadata(topic: topic, partition: placement.partition, offset: placement.offset(ofRecordAt: index))
    }
}
