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

    /// The parsed command line.
    public struct Options: Sendable {
        public var broker: BrokerAddress
        public var topic: String
        public var partition: Int32?
        public var start: StartPosition
        public var count: Int?
        public var untilEnd: Bool
        public var format: Format

        /// Creates options.
        public init(
            broker: BrokerAddress,
            topic: String,
            partition: Int32? = nil,
            start: StartPosition = .earliest,
            count: Int? = nil,
            untilEnd: Bool = false,
            format: Format = .plain
        ) {
            self.broker = broker
            self.topic = topic
            self.partition = partition
            self.start = start
            self.count = count
            self.untilEnd = untilEnd
            self.format = format
        }
    }

    /// The line printed for `record`.
    public static func line(for record: ConsumerRecord, format: Format) -> [UInt8] {
        switch format {
        case .plain: record.value.map { Array($0.readableBytesView) } ?? []
        case .json: Array(record.jsonLine().utf8)
        }
    }

    /// Reads and prints until the count, the end (with `untilEnd`), or forever.
    /// - Throws: ``ClientError``.
    public static func run(_ options: Options) async throws {
        var connectionConfiguration = ConnectionConfiguration()
        connectionConfiguration.clientName = "consumer"
        let connection = BrokerConnection(address: options.broker, configuration: connectionConfiguration)
        try await connection.connect()
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
            for record in try await consumer.poll() {
                output.writeLine(line(for: record, format: options.format))
                printed += 1
                if let count = options.count, printed >= count { break }
            }
            output.flush()
        }
        await connection.close()
    }
}
