import BrokerProtocol
import Logging

/// Topic administration and broker status: what `brokerctl` does.
///
/// Every method sends one request and turns an error answer into a ``ClientError``.
public struct Admin: Sendable {
    let transport: any BrokerTransport
    let logger: Logger

    /// Creates an admin client that talks through `transport` (usually a ``BrokerConnection``);
    /// changes to topics are logged at `debug`.
    public init(transport: any BrokerTransport, logger: Logger = Logger(label: "sluice.admin")) {
        self.transport = transport
        self.logger = logger
    }

    /// Creates a topic.
    /// - Parameters:
    ///   - retention: how long records are kept; `nil` for the broker's default.
    ///   - retentionBytes: the most bytes kept per partition; `nil` for the broker's default.
    ///   - segmentBytes: the size at which a segment is rolled; `nil` for the broker's default.
    /// - Throws: ``ClientError``, for example `broker(.topicAlreadyExists)`.
    public func createTopic(
        _ name: String,
        partitions: Int32,
        retention: Duration? = nil,
        retentionBytes: Int64? = nil,
        segmentBytes: Int64? = nil
    ) async throws {
        let request = CreateTopicRequest(
            topic: name,
            partitionCount: partitions,
            retentionMilliseconds: retention.map(Self.milliseconds) ?? TopicSettingValue.brokerDefault,
            retentionBytes: retentionBytes ?? TopicSettingValue.brokerDefault,
            segmentBytes: segmentBytes ?? TopicSettingValue.brokerDefault
        )
        let response = try await transport.send(request, as: CreateTopicResponse.self)
        try Self.check(response.result)
        logger.debug("created topic", metadata: ["topic": "\(name)", "partitions": "\(partitions)"])
    }

    /// Every topic with its partition count, sorted by name.
    public func listTopics() async throws -> [TopicSummary] {
        let response = try await transport.send(ListTopicsRequest(), as: ListTopicsResponse.self)
        return response.topics.map { TopicSummary(name: $0.topic, partitionCount: $0.partitionCount) }
    }

    /// A topic's settings and, per partition, its offsets, size and segment count.
    public func describeTopic(_ name: String) async throws -> TopicDescription {
        let response = try await transport.send(DescribeTopicRequest(topic: name), as: DescribeTopicResponse.self)
        try Self.check(response.result)
        return TopicDescription(response)
    }

    /// Deletes a topic and its data.
    public func deleteTopic(_ name: String) async throws {
        let response = try await transport.send(DeleteTopicRequest(topic: name), as: DeleteTopicResponse.self)
        try Self.check(response.result)
        logger.debug("deleted topic", metadata: ["topic": "\(name)"])
    }

    /// Raises a topic's partition count to `partitions` (the new total).
    public func addPartitions(_ name: String, partitions: Int32) async throws {
        let response = try await transport.send(
            AddPartitionsRequest(topic: name, partitionCount: partitions),
            as: AddPartitionsResponse.self
        )
        try Self.check(response.result)
        logger.debug("added partitions", metadata: ["topic": "\(name)", "partitions": "\(partitions)"])
    }

    /// The broker's state.
    public func status() async throws -> BrokerStatus {
        BrokerStatus(try await transport.send(BrokerStatusRequest(), as: BrokerStatusResponse.self))
    }

    /// Looks up an offset in each of `partitions` of `topic`.
    /// - Returns: one answer per partition, in the order asked.
    /// - Throws: ``ClientError`` with the first partition's error, if any partition failed.
    public func listOffsets(
        topic: String,
        partitions: [Int32],
        at position: OffsetQuery
    ) async throws -> [PartitionOffsets] {
        let request = ListOffsetsRequest(
            topic: topic,
            partitions: partitions.map { .init(partition: $0, timestamp: position.wireTimestamp) }
        )
        let response = try await transport.send(request, as: ListOffsetsResponse.self)
        guard response.partitions.count == partitions.count else {
            throw ClientError(
                .protocolViolation,
                "the broker answered \(response.partitions.count) partitions for \(partitions.count) asked"
            )
        }
        return try response.partitions.map { result in
            guard result.errorCode == .none else {
                throw ClientError.broker(result.errorCode, result.errorMessage)
            }
            return PartitionOffsets(
                partition: result.partition,
                offset: result.offset >= 0 ? result.offset : nil,
                logStartOffset: result.logStartOffset,
                logEndOffset: result.logEndOffset
            )
        }
    }

    /// Looks up an offset in one partition.
    public func listOffsets(topic: String, partition: Int32, at position: OffsetQuery) async throws -> PartitionOffsets
    {
        try await listOffsets(topic: topic, partitions: [partition], at: position)[0]
    }

    static func check(_ result: AdministrationResult) throws {
        guard result.errorCode == .none else { throw ClientError.broker(result.errorCode, result.errorMessage) }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        // Saturating: a duration beyond Int64 milliseconds (about 292 million years) is sent as
        // the largest or smallest value, which the broker refuses with the setting's range.
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, overflowed) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflowed ? (whole < 0 ? .min : .max) : total
    }
}
