import BrokerClient

/// What `consumer` does once its arguments are parsed: read a topic and print each record.
public enum ConsumerTool {
    /// How records are printed.
    public enum Format: String, Sendable, CaseIterable {
        /// The value only, one per line.
        case plain
        /// JSON Lines (see ``ConsumerRecord/jsonLine()``).
        case json
    }

    /// The line printed for `record`.
    public static func line(for record: ConsumerRecord, format: Format) -> [UInt8] {
        switch format {
        case .plain: record.value.map { Array($0.readableBytesView) } ?? []
        case .json: Array(record.jsonLine().utf8)
        }
    }

    /// Reads and prints until the count, the end (with `untilEnd`), or forever. Offsets lost to
    /// damage on the broker's disk are named in one line on standard error
    /// (`consumer: lost offsets 120..249 of orders/0 (damaged on disk); continuing at 250`), and
    /// reading goes on after them.
    /// - Throws: ``ClientError``; for an `--from` offset past the end of a partition, one that
    ///   says so.
    public static func run(_ options: ConsumerOptions) async throws {
        if let group = options.group {
            try await runGroup(group, options)
            return
        }
        var connectionConfiguration = ConnectionConfiguration()
        connectionConfiguration.clientName = "consumer"
        let connection = BrokerConnection(
            address: try options.connection.address(),
            configuration: connectionConfiguration
        )
        try await connection.connect()
        if case .offset(let offset) = options.start {
            do {
                try await checkOffset(offset, options: options, admin: Admin(transport: connection))
            } catch {
                await connection.close()
                throw error
            }
        }
        var configuration = ConsumerConfiguration()
        configuration.stopsAtEnd = options.untilEnd
        let consumer = Consumer(
            transport: connection,
            topic: options.topic,
            partitions: options.partition.map { [$0] },
            from: options.start,
            configuration: configuration
        )
        var output = StandardOutput()
        var printed = 0
        defer { output.flush() }
        while options.count.map({ printed < $0 }) ?? true {
            if await consumer.isAtEnd { break }
            let records: [ConsumerRecord]
            do {
                records = try await consumer.poll()
            } catch let lost as LostOffsets {
                // The consumer has stepped past them: say which offsets are gone, and go on.
                output.flush()
                StandardOutput.writeError(program: "consumer", lost.description)
                continue
            }
            for record in records {
                output.writeLine(line(for: record, format: options.format))
                printed += 1
                if let count = options.count, printed >= count { break }
            }
            output.flush()
        }
        await connection.close()
    }

    /// Consumes as a member of `group`: prints each message, then acknowledges it (with `--exec`,
    /// runs the command for it instead: ``runExec(_:group:_:)``); exits after `--count` messages,
    /// at the end with `--until-end`, else runs until interrupted.
    static func runGroup(_ group: String, _ options: ConsumerOptions) async throws {
        if let command = options.exec {
            try await runExec(command, group: group, options)
            return
        }
        var connectionConfiguration = ConnectionConfiguration()
        connectionConfiguration.clientName = "consumer"
        let connection = BrokerConnection(
            address: try options.connection.address(),
            configuration: connectionConfiguration
        )
        let consumer = GroupConsumer(
            connection: connection,
            group: group,
            topics: [options.topic],
            configuration: options.groupConfiguration
        )
        var output = StandardOutput()
        var handled = 0
        let watcher =
            options.untilEnd
            ? try await untilEndWatcher(options.topic, group: group, Admin(transport: connection)) {
                try await consumer.leave()
            } : nil
        defer { watcher?.cancel() }
        do {
            for try await message in consumer.messages() {
                let line =
                    switch options.format {
                    case .plain: message.record.value.map { Array($0.readableBytesView) } ?? []
                    case .json: Array(message.record.jsonLine(deliveryCount: message.deliveryCount).utf8)
                    }
                output.writeLine(line)
                output.flush()
                do {
                    try await message.ack()
                } catch let error as ClientError where error.code == .broker(.notDelivered) {
                    // Its ack timeout passed first (its output was blocked, say): the broker
                    // delivers it again, at least once; the consumer goes on.
                    StandardOutput.writeError(
                        program: "consumer",
                        "\(message.record.topic)/\(message.record.partition)@\(message.record.offset): ack refused "
                            + "(its ack timeout had passed); it will be delivered again"
                    )
                }
                handled += 1
                if let count = options.count, handled >= count { break }
            }
            try await consumer.leave()
        } catch {
            output.flush()
            await connection.close()
            throw error
        }
        output.flush()
        await connection.close()
    }

    /// A partition the group reads: one of `topic`'s, or one of its dead-letter partitions that a
    /// redrive made a source of the group.
    struct GroupPartition: Hashable, Sendable {
        var topic: String
        var partition: Int32
    }

    /// Where `--until-end` stops: the log end of each partition of `topic` now, and for each
    /// dead-letter partition being redriven to `group`, the end of what was redriven (its committed
    /// offset plus its lag, as `describeGroup` reports it).
    static func untilEndOffsets(_ topic: String, group: String, admin: Admin) async throws -> [GroupPartition: Int64] {
        guard let summary = try await admin.listTopics().first(where: { $0.name == topic }) else {
            throw ClientError.broker(.unknownTopic, "topic \"\(topic)\" does not exist")
        }
        let answers = try await admin.listOffsets(
            topic: topic,
            partitions: Array(0..<summary.partitionCount),
            at: .latest
        )
        var ends: [GroupPartition: Int64] = [:]
        for answer in answers { ends[GroupPartition(topic: topic, partition: answer.partition)] = answer.logEndOffset }
        let deadLetters = "dlq.\(group).\(topic)"
        if let description = try? await admin.describeGroup(group) {
            for row in description.partitions where row.topic == deadLetters && row.lag > 0 {
                ends[GroupPartition(topic: row.topic, partition: row.partition)] = row.committedOffset + row.lag
            }
        }
        return ends
    }

    /// Whether the group's committed offset has reached `ends` on every partition.
    static func reached(_ ends: [GroupPartition: Int64], group: String, admin: Admin) async throws -> Bool {
        let description: GroupDescription
        do {
            description = try await admin.describeGroup(group)
        } catch let error as ClientError where error.code == .broker(.unknownGroup) {
            return false  // Not created yet: the member is still joining.
        }
        return ends.allSatisfy { key, end in
            description.partitions.contains {
                $0.topic == key.topic && $0.partition == key.partition && $0.committedOffset >= end
            }
        }
    }

    /// Refuses an `--from` offset past the end of a partition read: the consumer would wait for
    /// records that may never come (or, with `--until-end`, print nothing and succeed).
    static func checkOffset(_ offset: Int64, options: ConsumerOptions, admin: Admin) async throws {
        let partitions: [Int32]
        if let partition = options.partition {
            partitions = [partition]
        } else {
            guard let summary = try await admin.listTopics().first(where: { $0.name == options.topic }) else {
                throw ClientError.broker(.unknownTopic, "topic \"\(options.topic)\" does not exist")
            }
            partitions = Array(0..<summary.partitionCount)
        }
        for answer in try await admin.listOffsets(topic: options.topic, partitions: partitions, at: .latest)
        where offset > answer.logEndOffset {
            throw ClientError(
                .invalidArgument,
                "--from \(offset) is past the end of \(options.topic)/\(answer.partition), "
                    + "whose next offset is \(answer.logEndOffset)"
            )
        }
    }
}
