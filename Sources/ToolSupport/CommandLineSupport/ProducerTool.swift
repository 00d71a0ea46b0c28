import BrokerClient
import NIOCore
import RecordCodec

/// What `producer` does once its arguments are parsed: read messages from arguments or standard
/// input, send them, print `TOPIC/PARTITION@OFFSET` per acknowledged message in input order (line N
/// for message N: see ``AcknowledgementLines``).
///
/// Two tasks share an ``AcknowledgementWindow``: the reader reads the input and hands each message
/// to the ``Producer`` (which waits while `maxBufferedBytes` are unacknowledged), the printer
/// prints each acknowledgement in input order, writing its buffer out whenever it has caught up.
/// At the first failure the printer stops the reader and the producer, still prints every
/// acknowledgement that arrives, and the run ends with one error line saying which messages were
/// acknowledged.
public enum ProducerTool {
    /// The most messages read but not yet printed: the reader waits beyond it.
    public static let maxUnprintedMessages = 10_000

    /// One message to send.
    struct Message {
        var key: ByteBuffer?
        var value: ByteBuffer
    }

    /// A message handed to the producer: its input number (from 1) and its acknowledgement.
    struct Sent: Sendable {
        var number: Int
        var handle: PendingRecord
    }

    /// Turns one input (an argument or a line) into a message.
    /// - Parameter place: `line 5` or `value 2`, for the error.
    /// - Throws: ``ClientError`` (`invalidArgument`) for an input without the key separator.
    static func message(from input: [UInt8], place: String, options: ProducerOptions) throws -> Message {
        if let separator = options.keySeparator {
            guard let (key, value) = LineSplitter.splitKey(input, separator: Array(separator.utf8)) else {
                throw ClientError(.invalidArgument, "\(place) has no key separator \"\(separator)\"")
            }
            return Message(key: ByteBuffer(bytes: key), value: ByteBuffer(bytes: value))
        }
        return Message(key: options.key.map { ByteBuffer(string: $0) }, value: ByteBuffer(bytes: input))
    }

    /// Sends the messages and prints where each went.
    /// - Throws: ``ClientError`` after the acknowledgements that arrived were printed; its message
    ///   ends with which messages were acknowledged and which were not.
    public static func run(_ options: ProducerOptions) async throws {
        var connectionConfiguration = ConnectionConfiguration()
        connectionConfiguration.clientName = "producer"
        let connection = BrokerConnection(
            address: try options.connection.address(),
            configuration: connectionConfiguration
        )
        do {
            try await connection.connect()
            if let time = options.deliveryTime {
                try await schedule(options, time: time, connection: connection)
            } else {
                try await send(options, connection: connection)
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
    }

    private static func send(_ options: ProducerOptions, connection: BrokerConnection) async throws {
        // With --msg-id, the log ends before sending tell a duplicate (an older offset) from a new record.
        let endsBefore = options.messageID == nil ? [:] : try await endOffsets(of: options.topic, on: connection)
        var configuration = ProducerConfiguration()
        configuration.acks = options.acks
        configuration.compression = options.compression
        let producer = Producer(transport: connection, configuration: configuration)
        let sender = Task { try await producer.run() }
        let window = AcknowledgementWindow<Sent>(capacity: maxUnprintedMessages)
        let reader = Task { await read(options, producer: producer, window: window) }
        // Ctrl-C or SIGTERM: stop reading, print the acknowledgements still to come, then exit.
        let interrupts = InterruptSignals { signal in Task { await window.interrupt(by: signal) } }
        defer { interrupts.cancel() }

        var numbers = MessageNumbers()
        var lines = AcknowledgementLines()
        var firstError: (any Error)?
        var output = StandardOutput()
        while let sent = await window.next() {
            numbers.lastSent = sent.number
            do {
                let metadata = try await sent.handle.metadata()
                numbers.acknowledge(sent.number)
                for text in lines.acknowledged(line(for: metadata, endsBefore: endsBefore)) { output.writeLine(text) }
            } catch {
                lines.failed()
                if firstError == nil {
                    // A refusal concerns this message; a lost connection concerns them all.
                    if let refusal = error as? ClientError, !refusal.code.isConnectionLevel {
                        firstError = ClientError(
                            refusal.code,
                            "message \(sent.number): \(refusal.message)",
                            cause: refusal
                        )
                    } else {
                        firstError = error
                    }
                    await window.stop()
                    sender.cancel()
                }
            }
            if await window.count == 0 { output.flush() }
        }
        output.flush()

        let inputError = await window.inputError
        guard let error = firstError ?? inputError else {
            await producer.close()
            try await sender.value
            if let signal = await window.interruptingSignal {
                reader.cancel()
                throw ToolInterrupted(signal: signal, summary: numbers.summary)
            }
            return
        }
        // The reader may be blocked reading standard input: it is left behind, the tool exits.
        reader.cancel()
        sender.cancel()
        let failure = error as? ClientError ?? ClientError(.invalidArgument, "\(error)")
        throw ClientError(failure.code, failure.message + numbers.summary, cause: error)
    }

    /// The line printed for an acknowledged message: `TOPIC/PARTITION@OFFSET`, or
    /// `duplicate of TOPIC/PARTITION@OFFSET` when the offset was in the log before this run sent
    /// anything (the broker dropped the message as a duplicate of that record).
    static func line(for metadata: RecordMetadata, endsBefore: [Int32: Int64]) -> String {
        if let offset = metadata.offset, let end = endsBefore[metadata.partition], offset < end {
            return "duplicate of \(metadata)"
        }
        return metadata.description
    }

    /// The log end offset of every partition of `topic`; empty if the topic does not exist.
    private static func endOffsets(of topic: String, on connection: BrokerConnection) async throws -> [Int32: Int64] {
        let admin = Admin(transport: connection)
        guard let summary = try await admin.listTopics().first(where: { $0.name == topic }), summary.partitionCount > 0
        else { return [:] }
        let answers = try await admin.listOffsets(
            topic: topic,
            partitions: Array(0..<summary.partitionCount),
            at: .latest
        )
        return Dictionary(answers.map { ($0.partition, $0.logEndOffset) }, uniquingKeysWith: { first, _ in first })
    }

    /// Reads the input, hands each message to `producer` and queues it in `window`, until the
    /// input ends, an input fails, or the window is stopped.
    private static func read(
        _ options: ProducerOptions,
        producer: Producer,
        window: AcknowledgementWindow<Sent>
    ) async {
        let headers = options.parsedHeaders
        var number = 0
        /// Sends one input; `false` when the reader must stop.
        func send(_ input: [UInt8], place: String) async throws -> Bool {
            let message = try message(from: input, place: place, options: options)
            guard await window.willSend() else { return false }
            let handle: PendingRecord
            do {
                handle = try await producer.enqueue(
                    topic: options.topic,
                    key: message.key,
                    value: message.value,
                    headers: headers,
                    partition: options.partition,
                    messageID: options.messageID.map { ByteBuffer(string: $0) }
                )
            } catch let error as ClientError where error.code == .invalidArgument {
                // A message the client refuses before sending (too large): say which one.
                await window.didNotSend()
                throw ClientError(error.code, "\(place): \(error.message)", cause: error)
            } catch {
                await window.didNotSend()
                throw error
            }
            number += 1
            return await window.push(Sent(number: number, handle: handle))
        }
        do {
            if !options.values.isEmpty {
                for (index, value) in options.values.enumerated() {
                    guard try await send(Array(value.utf8), place: "value \(index + 1)") else { break }
                }
            } else if options.messageID != nil {
                // One id, one message: a second line is refused before anything is sent.
                var lines = StandardInputLines().makeAsyncIterator()
                if let first = try await lines.next() {
                    guard try await lines.next() == nil else {
                        throw ClientError(
                            .invalidArgument,
                            "--msg-id names one message, but standard input has more than one line: "
                                + "send each message with its own id"
                        )
                    }
                    _ = try await send(first, place: "line 1")
                }
            } else {
                var lines = StandardInputLines().makeAsyncIterator()
                var lineNumber = 0
                while await !window.isStopped, let line = try await lines.next() {
                    lineNumber += 1
                    guard try await send(line, place: "line \(lineNumber)") else { break }
                }
            }
            await window.finish()
        } catch {
            await window.finish(error: error)
        }
    }
}
