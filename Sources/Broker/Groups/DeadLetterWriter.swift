import BrokerProtocol
import LogStore
import NIOCore
import RecordCodec

/// A message a group gives up on, with what the group knows about its deliveries.
struct DeadLetter: Sendable {
    /// The group and the partition the message came from.
    var source: GroupPartitionID
    /// Its offset there.
    var offset: Int64
    /// The message as stored (key, value, headers, timestamp).
    var record: Record
    /// Its deliveries: count, first and last delivery times, last failure reason.
    var deliveries: DeliveryRecord
    /// Why it is dead-lettered: a reject's reason, or the last failure's.
    var reason: String?
    /// Whether the message is a redriven dead letter (the source is the dead-letter partition
    /// itself): it goes back to the same topic, keeping its headers naming the original message.
    var isRedriven = false

    /// The topic the dead letter is written to.
    var topicName: String {
        isRedriven ? source.topic : DeadLetterWriter.topicName(group: source.group, topic: source.topic)
    }
}

/// Writes dead letters to `dlq.<group>.<topic>`, an ordinary topic created on first use with the
/// source topic's partition count (grown when the source grows), in the source's partition number.
/// A redriven dead letter that fails again is written to the same dead-letter topic and partition
/// (after the redrive's limit, so that only the next redrive delivers it again).
///
/// The dead letter carries the message's key, value and headers unchanged, then the headers named
/// in ``Header``, then a message id (``ProduceRequest/messageIDHeader``, the last one wins)
/// `<group>/<topic>/<partition>/<offset>`: written again after a crash, it is answered with the
/// first copy's offset (within the dead-letter topic's duplicate window), so it exists once. Its
/// timestamp is the time of writing (the original's is in a header), so that the topic's retention
/// counts from when the message became a dead letter.
struct DeadLetterWriter: Sendable {
    /// The headers a dead letter gets, after the original's.
    enum Header {
        static let topic = "sluice.dlq.topic"
        static let partition = "sluice.dlq.partition"
        static let offset = "sluice.dlq.offset"
        static let timestamp = "sluice.dlq.timestamp"
        static let deliveryCount = "sluice.dlq.delivery-count"
        static let reason = "sluice.dlq.reason"
        static let firstDelivery = "sluice.dlq.first-delivery"
        static let lastDelivery = "sluice.dlq.last-delivery"
    }

    let registry: TopicRegistry
    let issued: @Sendable () -> IssuedProducers

    /// The dead-letter topic of `group` for `topic`.
    static func topicName(group: String, topic: String) -> String { "dlq.\(group).\(topic)" }

    /// The message id that makes a second write of the same dead letter a duplicate.
    static func messageID(of deadLetter: DeadLetter) -> String {
        "\(deadLetter.source.group)/\(deadLetter.source.topic)/\(deadLetter.source.partition)/\(deadLetter.offset)"
    }

    /// The dead letter's record: the original's key, value and headers, then the dead-letter
    /// headers and the message id.
    static func record(for deadLetter: DeadLetter, now: Int64) -> Record {
        func header(_ key: String, _ value: String) -> RecordHeader {
            RecordHeader(key: key, value: ByteBuffer(string: value))
        }
        var headers = deadLetter.record.headers
        if deadLetter.isRedriven {
            // The headers naming the original message stay; those of its deliveries are replaced.
            let replaced: Set<String> = [
                Header.deliveryCount, Header.reason, Header.firstDelivery, Header.lastDelivery,
                ProduceRequest.messageIDHeader,
            ]
            headers.removeAll { replaced.contains($0.key) }
        } else {
            headers.append(header(Header.topic, deadLetter.source.topic))
            headers.append(header(Header.partition, "\(deadLetter.source.partition)"))
            headers.append(header(Header.offset, "\(deadLetter.offset)"))
            headers.append(header(Header.timestamp, "\(deadLetter.record.timestamp)"))
        }
        headers.append(header(Header.deliveryCount, "\(deadLetter.deliveries.deliveryCount)"))
        if let reason = deadLetter.reason ?? deadLetter.deliveries.lastFailureReason {
            headers.append(header(Header.reason, reason))
        }
        headers.append(header(Header.firstDelivery, "\(deadLetter.deliveries.firstDeliveredAt)"))
        headers.append(header(Header.lastDelivery, "\(deadLetter.deliveries.lastDeliveredAt)"))
        headers.append(header(ProduceRequest.messageIDHeader, messageID(of: deadLetter)))
        return Record(key: deadLetter.record.key, value: deadLetter.record.value, headers: headers, timestamp: now)
    }

    /// Appends the dead letter durably and returns its offset in the dead-letter topic (the first
    /// copy's, if it was written before). With `state` (the group's state log), first waits until
    /// every record appended to it so far is durable: see ``write(_:to:now:after:)``.
    func write(
        _ deadLetter: DeadLetter,
        now: Int64 = currentTimeMilliseconds(),
        after state: GroupStateStore? = nil
    ) async throws -> Int64 {
        try await write(deadLetter, to: try await partition(for: deadLetter), now: now, after: state)
    }

    /// Appends the dead letter durably to `partition` (its dead-letter partition; the power-cut
    /// tests pass one on a simulated disk) and returns its offset there (the first copy's, if it
    /// was written before).
    ///
    /// With `state`, the append waits until every record appended to the group state log so far
    /// is durable, the failure marks that decided the dead letter among them: otherwise the
    /// system could write the dead letter's unsynced bytes back before the marks', a power cut
    /// could keep the one and lose the others, and the restarted group would deliver the message
    /// again (and maybe see it acknowledged) while it is in the dead-letter topic.
    /// - Throws: the state log's storage error if its flush fails (nothing is appended then).
    func write(
        _ deadLetter: DeadLetter,
        to partition: Partition,
        now: Int64,
        after state: GroupStateStore? = nil
    ) async throws -> Int64 {
        if let state, let last = state.lastAppendedOffset { try await state.waitUntilDurable(last) }
        var records = ByteBuffer()
        RecordBatch.write(records: [Self.record(for: deadLetter, now: now)], into: &records)
        let result = try await partition.append(records, hasMessageIDs: true, acks: .durable, issued: issued()).get()
        guard result.errorCode == .none else {
            throw BrokerError(
                result.errorCode,
                "writing a dead letter of \(deadLetter.source) offset \(deadLetter.offset) failed: "
                    + (result.errorMessage ?? "\(result.errorCode)")
            )
        }
        // A duplicate is answered with the first copy's offset.
        return result.recordOffsets.first ?? result.baseOffset
    }

    /// The dead-letter partition for `deadLetter`, creating the topic or growing it as needed.
    private func partition(for deadLetter: DeadLetter) async throws -> Partition {
        let source = deadLetter.source
        let name = deadLetter.topicName
        let wanted = max(source.partition + 1, registry.topic(named: source.topic)?.partitionCount ?? 0)
        if registry.topic(named: name) == nil {
            do {
                _ = try await registry.create(CreateTopicRequest(topic: name, partitionCount: wanted))
            } catch let error as BrokerError where error.code == .topicAlreadyExists {
                // Another dead letter created it first.
            }
        }
        guard let topic = registry.topic(named: name) else {
            throw BrokerError(.unknownTopic, "the dead-letter topic '\(name)' was deleted while it was written to")
        }
        if topic.partitionCount < wanted {
            do {
                try await registry.addPartitions(name, to: wanted)
            } catch let error as BrokerError where error.code == .invalidTopicConfiguration {
                // Another dead letter grew it first.
            }
        }
        guard
            let partition = topic.partition(source.partition)
                ?? registry.topic(named: name)?.partition(source.partition)
        else {
            throw BrokerError(.unknownPartition, "the dead-letter topic '\(name)' has no partition \(source.partition)")
        }
        return partition
    }
}
