import NIOCore
import RecordCodec

/// What `producer` does once its arguments are parsed: read messages from arguments or standard
/// input, send them, print `TOPIC/PARTITION@OFFSET` per message in input order.
public enum ProducerTool {
    /// The parsed command line.
    public struct Options: Sendable {
        public var broker: BrokerAddress
        public var topic: String
        public var key: String?
        public var partition: Int32?
        /// `KEY=VALUE` strings, already checked with ``HeaderSyntax``.
        public var headers: [String]
        public var acks: AcknowledgementLevel
        public var messageID: String?
        public var keySeparator: String?
        /// Message values; empty to read standard input.
        public var values: [String]

        /// Creates options.
        public init(
            broker: BrokerAddress,
            topic: String,
            key: String? = nil,
            partition: Int32? = nil,
            headers: [String] = [],
            acks: AcknowledgementLevel = .durable,
            messageID: String? = nil,
            keySeparator: String? = nil,
            values: [String] = []
        ) {
            self.broker = broker
            self.topic = topic
            self.key = key
            self.partition = partition
            self.headers = headers
            self.acks = acks
            self.messageID = messageID
            self.keySeparator = keySeparator
            self.values = values
        }
    }

    /// One message to send.
    struct Message {
        var key: ByteBuffer?
        var value: ByteBuffer
    }

    /// Turns one input (an argument or a line) into a message.
    /// - Throws: ``ClientError`` (`invalidArgument`) for a line without the key separator.
    static func message(from input: [UInt8], lineNumber: Int?, options: Options) throws -> Message {
        if let separator = options.keySeparator {
            guard let (key, value) = LineSplitter.splitKey(input, separator: Array(separator.utf8)) else {
                let place = lineNumber.map { "line \($0)" } ?? "value"
                throw ClientError(.invalidArgument, "\(place) has no key separator \"\(separator)\"")
            }
            return Message(key: ByteBuffer(bytes: key), value: ByteBuffer(bytes: value))
        }
        return Message(key: options.key.map { ByteBuffer(string: $0) }, value: ByteBuffer(bytes: input))
    }

    /// Sends the messages and prints where each went.
    /// - Throws: ``ClientError`` at the first failure.
    public static func run(_ options: Options) async throws {
        var connectionConfiguration = ConnectionConfiguration()
        connectionConfiguration.clientName = "producer"
        let connection = BrokerConnection(address: options.broker, configuration: connectionConfiguration)
        try await connection.connect()
        var configuration = ProducerConfiguration()
        configuration.acks = options.acks
        let headers = options.headers.compactMap(HeaderSyntax.parse)
        do {
            try await send(options, headers: headers, configuration: configuration, connection: connection)
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    private static func send(
        _ options: Options,
        headers: [RecordHeader],
        configuration: ProducerConfiguration,
        connection: BrokerConnection
    ) async throws {
        try await Producer.withProducer(transport: connection, configuration: configuration) { producer in
            let (handles, continuation) = AsyncStream<PendingRecord>.makeStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var output = StandardOutput()
                    for await handle in handles {
                        output.writeLine(try await handle.metadata().description)
                    }
                    output.flush()
                }
                do {
                    func send(_ input: [UInt8], lineNumber: Int?) async throws {
                        let message = try message(from: input, lineNumber: lineNumber, options: options)
                        continuation.yield(
                            try await producer.enqueue(
                                topic: options.topic,
                                key: message.key,
                                value: message.value,
                                headers: headers,
                                partition: options.partition,
                                messageID: options.messageID
                            )
                        )
                    }
                    if options.values.isEmpty {
                        var lineNumber = 0
                        for try await line in StandardInputLines() {
                            lineNumber += 1
                            try await send(line, lineNumber: lineNumber)
                        }
                    } else {
                        for value in options.values { try await send(Array(value.utf8), lineNumber: nil) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish()
                    throw error
                }
                try await group.waitForAll()
            }
        }
    }
}
