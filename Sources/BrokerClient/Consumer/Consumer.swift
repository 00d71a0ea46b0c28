import BrokerProtocol
import Logging
import NIOCore
import RecordCodec

/// Reads one partition, or every partition, of a topic from a starting position, which may be
/// different for each partition (saved offsets, for example).
///
/// ``poll()`` sends one fetch for every partition not yet finished, waiting up to `maxWait` for
/// new records (long polling), and returns the records at or after each partition's position in
/// offset order per partition (a fetched batch may start before the position; those records are
/// skipped). With `stopsAtEnd`, each partition stops at the log end offset it had when the
/// consumer started, and ``isAtEnd`` turns true once all have reached it. ``records()`` is the
/// same as an `AsyncSequence`.
public actor Consumer {
    /// The topic read.
    public nonisolated let topic: String
    /// Fetch settings.
    public nonisolated let configuration: ConsumerConfiguration
    private let logger: Logger
    private let transport: any BrokerTransport
    private let requestedPartitions: [Int32]?
    private let start: StartPosition
    /// Positions of particular partitions; the others start at `start`.
    private let partitionStarts: [Int32: StartPosition]

    /// The next offset to read, per partition; empty until started.
    public internal(set) var positions: [Int32: Int64] = [:]
    /// Per partition, the log end offset when the consumer started (with `stopsAtEnd`).
    public private(set) var endOffsets: [Int32: Int64] = [:]
    private var partitionOrder: [Int32] = []
    private var isStarted = false
    /// Set by ``stop()``.
    nonisolated let stopFlag = StopFlag()

    /// Creates a consumer; nothing is sent before the first ``poll()``.
    /// - Parameter partitions: the partitions to read; `nil` for all of them.
    public init(
        transport: any BrokerTransport,
        topic: String,
        partitions: [Int32]? = nil,
        from start: StartPosition = .earliest,
        configuration: ConsumerConfiguration = ConsumerConfiguration(),
        logger: Logger = Logger(label: "sluice.consumer")
    ) {
        self.transport = transport
        self.topic = topic
        self.requestedPartitions = partitions
        self.start = start
        self.partitionStarts = [:]
        self.configuration = configuration
        self.logger = logger
    }

    /// Creates a consumer that starts each partition at its own position; nothing is sent before
    /// the first ``poll()``.
    /// - Parameters:
    ///   - starts: the position of each partition to read.
    ///   - otherPartitions: `nil` to read only the partitions in `starts`; otherwise every
    ///     partition of the topic is read, those not in `starts` from this position.
    public init(
        transport: any BrokerTransport,
        topic: String,
        from starts: [Int32: StartPosition],
        otherPartitions: StartPosition? = nil,
        configuration: ConsumerConfiguration = ConsumerConfiguration(),
        logger: Logger = Logger(label: "sluice.consumer")
    ) {
        self.transport = transport
        self.topic = topic
        self.requestedPartitions = otherPartitions == nil ? starts.keys.sorted() : nil
        self.start = otherPartitions ?? .earliest
        self.partitionStarts = starts
        self.configuration = configuration
        self.logger = logger
    }

    /// Creates a consumer that starts each partition at its own offset, such as offsets saved by
    /// an earlier run (the next offset to read of each partition); nothing is sent before the
    /// first ``poll()``.
    /// - Parameters:
    ///   - offsets: the next offset to read, per partition.
    ///   - otherPartitions: `nil` to read only the partitions in `offsets`; otherwise every
    ///     partition of the topic is read, those not in `offsets` from this position (for
    ///     example `.earliest` for partitions added since the offsets were saved).
    public init(
        transport: any BrokerTransport,
        topic: String,
        offsets: [Int32: Int64],
        otherPartitions: StartPosition? = nil,
        configuration: ConsumerConfiguration = ConsumerConfiguration(),
        logger: Logger = Logger(label: "sluice.consumer")
    ) {
        self.init(
            transport: transport,
            topic: topic,
            from: offsets.mapValues { .offset($0) },
            otherPartitions: otherPartitions,
            configuration: configuration,
            logger: logger
        )
    }

    /// Whether every partition has reached the end that existed at the start (only with
    /// `stopsAtEnd`).
    public var isAtEnd: Bool {
        isStarted && configuration.stopsAtEnd && partitionOrder.allSatisfy { !isReading($0) }
    }

    /// The records as an asynchronous sequence; it ends at the end with `stopsAtEnd`, after
    /// ``stop()`` (or a graceful shutdown of the `ServiceGroup` running the consumer), and never
    /// otherwise.
    public nonisolated func records() -> ConsumerRecords {
        ConsumerRecords(consumer: self)
    }

    /// Fetches once and returns the new records (none if `maxWait` passed without any).
    ///
    /// When the broker reports that damage on its disk took offsets at a partition's position
    /// (``ErrorCode/offsetsLost``), the position moves past them and ``LostOffsets`` is thrown
    /// naming them; no other position moves in that poll, so the next poll goes on where it
    /// left off, without losing or repeating records.
    /// - Throws: ``LostOffsets`` (poll again to continue); ``ClientError``; an offset outside
    ///   the log says the valid range. When a partition fails, no position moves in that poll.
    public func poll() async throws -> [ConsumerRecord] {
        guard !isStopped else { return [] }
        try await startIfNeeded()
        let reading = partitionOrder.filter(isReading)
        guard !reading.isEmpty else { return [] }
        let request = FetchRequest(
            maxWaitMilliseconds: UInt32(clamping: Admin.milliseconds(configuration.maxWait)),
            maxBytes: UInt32(clamping: configuration.maxBytes),
            topics: [
                .init(
                    topic: topic,
                    partitions: reading.map {
                        .init(
                            partition: $0,
                            offset: positions[$0]!,
                            maxBytes: UInt32(clamping: configuration.partitionMaxBytes)
                        )
                    }
                )
            ]
        )
        let response = try await fetch(request)
        try stepOverLostOffsets(in: response)
        // Every partition's answer is checked before any position moves: records of one
        // partition are never dropped because another one failed.
        for topicData in response.topics where topicData.topic == topic {
            for data in topicData.partitions where data.errorCode != .none {
                guard let position = positions[data.partition] else { continue }
                throw error(for: data, position: position)
            }
        }
        var records: [ConsumerRecord] = []
        for topicData in response.topics where topicData.topic == topic {
            for data in topicData.partitions {
                guard let position = positions[data.partition] else { continue }
                let decoded = try Self.decode(
                    data.records,
                    from: position,
                    before: configuration.stopsAtEnd ? endOffsets[data.partition] : nil,
                    maxDecompressedBytes: configuration.maxDecompressedBatchBytes
                )
                positions[data.partition] = decoded.nextOffset
                for record in decoded.records {
                    records.append(
                        ConsumerRecord(
                            topic: topic,
                            partition: data.partition,
                            offset: record.offset,
                            timestamp: record.timestamp,
                            key: record.key,
                            value: record.value,
                            headers: record.headers
                        )
                    )
                }
            }
        }
        return records
    }

    /// Moves the first partition whose fetch reported lost offsets past them, and throws
    /// ``LostOffsets``. Any other partition reporting them is stepped over in a later poll.
    private func stepOverLostOffsets(in response: FetchResponse) throws {
        for topicData in response.topics where topicData.topic == topic {
            for data in topicData.partitions where data.errorCode == .offsetsLost {
                guard let position = positions[data.partition] else { continue }
                guard let lost = data.lostOffsets, lost.upperBound > position else {
                    throw ClientError(
                        .protocolViolation,
                        "the broker reported lost offsets \(data.lostOffsets.map { "\($0)" } ?? "(none)") "
                            + "that do not lie past position \(position) of \(topic)/\(data.partition)"
                    )
                }
                positions[data.partition] = lost.upperBound
                logger.debug(
                    "offsets lost to damage on the broker's disk; continuing after them",
                    metadata: [
                        "topic": "\(topic)", "partition": "\(data.partition)",
                        "lost": "\(max(position, lost.lowerBound))...\(lost.upperBound - 1)",
                    ]
                )
                throw LostOffsets(
                    topic: topic,
                    partition: data.partition,
                    offsets: max(position, lost.lowerBound)...(lost.upperBound - 1)
                )
            }
        }
    }

    private func isReading(_ partition: Int32) -> Bool {
        guard configuration.stopsAtEnd else { return true }
        return positions[partition, default: 0] < endOffsets[partition, default: 0]
    }

    private func startIfNeeded() async throws {
        guard !isStarted else { return }
        let admin = Admin(transport: transport)
        let partitions: [Int32]
        if let requestedPartitions {
            partitions = requestedPartitions
        } else {
            guard let summary = try await admin.listTopics().first(where: { $0.name == topic }) else {
                throw ClientError.broker(.unknownTopic, "topic \"\(topic)\" does not exist")
            }
            partitions = Array(0..<summary.partitionCount)
            // A position given for a partition the topic does not have is not silently ignored.
            if let missing = partitionStarts.keys.sorted().first(where: { !(0..<summary.partitionCount).contains($0) })
            {
                throw ClientError.broker(
                    .unknownPartition,
                    "topic \"\(topic)\" has no partition \(missing) (it has \(summary.partitionCount))"
                )
            }
        }
        guard !partitions.isEmpty else {
            throw ClientError(.invalidArgument, "no partition of \(topic) to read")
        }
        if let negative = partitions.first(where: { $0 < 0 }) {
            throw ClientError(.invalidArgument, "partition \(negative) is negative")
        }
        // One look-up per kind of position, each for the partitions starting there.
        func query(for start: StartPosition) -> OffsetQuery {
            switch start {
            case .earliest, .offset: .earliest
            case .latest, .fromEnd: .latest
            case .timestamp(let milliseconds): .timestamp(milliseconds)
            }
        }
        var groups: [OffsetQuery: [Int32]] = [:]
        var queryOrder: [OffsetQuery] = []
        for partition in partitions {
            let query = query(for: partitionStarts[partition] ?? start)
            if groups[query] == nil { queryOrder.append(query) }
            groups[query, default: []].append(partition)
        }
        for query in queryOrder {
            let offsets = try await admin.listOffsets(topic: topic, partitions: groups[query]!, at: query)
            for answer in offsets {
                switch partitionStarts[answer.partition] ?? start {
                case .offset(let offset): positions[answer.partition] = offset
                case .fromEnd(let count):
                    positions[answer.partition] = max(answer.logStartOffset, answer.logEndOffset - max(0, count))
                default: positions[answer.partition] = answer.offset ?? answer.logEndOffset
                }
                endOffsets[answer.partition] = answer.logEndOffset
            }
        }
        partitionOrder = partitions
        isStarted = true
    }

    private func fetch(_ request: FetchRequest) async throws -> FetchResponse {
        var attempt = 0
        while true {
            do {
                return try await transport.send(
                    request,
                    as: FetchResponse.self,
                    timeout: configuration.maxWait + .seconds(30)
                )
            } catch let error as ClientError where error.code.isConnectionLevel && attempt < configuration.maxRetries {
                try await Task.sleep(for: configuration.retryBackoff * (1 << min(attempt, 10)))
                attempt += 1
            }
        }
    }

    private func error(for data: FetchResponse.PartitionData, position: Int64) -> ClientError {
        if data.errorCode == .offsetOutOfRange {
            return ClientError(
                .broker(.offsetOutOfRange),
                "offset \(position) is out of range for \(topic)/\(data.partition): "
                    + "valid offsets are \(data.logStartOffset) to \(data.logEndOffset)"
            )
        }
        return ClientError.broker(data.errorCode, data.errorMessage)
    }

    /// Decodes the batches in `buffer` (gzip ones decompressed, up to `maxDecompressedBytes` each)
    /// and keeps the records in `offset..<end`.
    /// - Returns: the records, and the offset after the last batch read (at least `offset`).
    /// - Throws: ``ClientError`` (`protocolViolation`) for a batch that fails validation.
    static func decode(
        _ buffer: ByteBuffer,
        from offset: Int64,
        before end: Int64?,
        maxDecompressedBytes: Int = RecordBatch.defaultMaxDecompressedBytes
    ) throws -> (records: [Record], nextOffset: Int64) {
        var buffer = buffer
        var records: [Record] = []
        var nextOffset = offset
        do {
            // A batch cut short at the end of a response (`next` returns nil) is read again by the
            // next fetch.
            while let batch = try RecordBatch.next(from: &buffer) {
                for record in try batch.records(maxDecompressedBytes: maxDecompressedBytes)
                where record.offset >= offset {
                    if let end, record.offset >= end { break }
                    records.append(record)
                }
                nextOffset = max(nextOffset, batch.lastOffset + 1)
            }
        } catch {
            throw ClientError(
                .protocolViolation,
                "the broker sent a record batch that fails validation: \(error)",
                cause: error
            )
        }
        return (records, nextOffset)
    }
}
