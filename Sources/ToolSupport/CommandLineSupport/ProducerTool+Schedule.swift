import BrokerClient
import NIOCore

/// `producer --delay/--at`: each message is scheduled (the lines read together go in one `schedule`
/// request, up to ``ProducerTool/maxMessagesPerRequest``; up to ``ProducerTool/maxSchedulesInFlight``
/// requests in flight on the pipelined connection; a line typed alone goes at once) and printed as
/// `scheduled ID for TIME`, in input order, as ``ProducerTool/run(_:)`` prints acknowledgements:
/// the first failure stops the reading, every answer that arrives is still printed, and one error
/// line says which messages were scheduled.
extension ProducerTool {
    /// The most schedule requests in flight at once.
    static let maxSchedulesInFlight = 64
    /// The most messages in one schedule request.
    static let maxMessagesPerRequest = 1_000

    /// Messages handed to the broker in one request: the first one's input number (from 1), how
    /// many, and the request's answers (one per message).
    struct Scheduled: Sendable {
        var firstNumber: Int
        var count: Int
        var task: Task<[Result<ScheduledMessage, ClientError>], any Error>
    }

    /// The line printed for a scheduled message: `scheduled ID for TIME` (RFC 3339, UTC, ms).
    static func line(for scheduled: ScheduledMessage) -> String {
        "scheduled \(scheduled.scheduleID) for \(TimeSyntax.format(epochMilliseconds: scheduled.deliverAt))"
    }

    /// Schedules the messages and prints each one's id and due time.
    static func schedule(_ options: ProducerOptions, time: DeliveryTime, connection: BrokerConnection) async throws {
        let client = ScheduleClient(transport: connection)
        let window = AcknowledgementWindow<Scheduled>(capacity: maxSchedulesInFlight)
        let reader = Task { await readScheduled(options, time: time, client: client, window: window) }
        let interrupts = InterruptSignals { signal in Task { await window.interrupt(by: signal) } }
        defer { interrupts.cancel() }

        var numbers = MessageNumbers()
        var lines = AcknowledgementLines()
        var firstError: (any Error)?
        var output = StandardOutput()
        while let scheduled = await window.next() {
            numbers.lastSent = scheduled.firstNumber + scheduled.count - 1
            var answers: [Result<ScheduledMessage, ClientError>]
            do {
                answers = try await scheduled.task.value
            } catch {
                // The whole request failed: each of its messages is reported as failed.
                answers = Array(
                    repeating: .failure(error as? ClientError ?? ClientError(.invalidArgument, "\(error)")),
                    count: scheduled.count
                )
            }
            for (position, answer) in answers.enumerated() {
                let number = scheduled.firstNumber + position
                switch answer {
                case .success(let message):
                    numbers.acknowledge(number)
                    for text in lines.acknowledged(line(for: message)) { output.writeLine(text) }
                case .failure(let refusal):
                    lines.failed()
                    guard firstError == nil else { continue }
                    if !refusal.code.isConnectionLevel {
                        firstError = ClientError(refusal.code, "message \(number): \(refusal.message)", cause: refusal)
                    } else {
                        firstError = refusal
                    }
                    await window.stop()
                }
            }
            if await window.count == 0 { output.flush() }
        }
        output.flush()

        let inputError = await window.inputError
        guard let error = firstError ?? inputError else {
            if let signal = await window.interruptingSignal {
                reader.cancel()
                throw ToolInterrupted(signal: signal, summary: numbers.summary)
            }
            return
        }
        reader.cancel()
        let failure = error as? ClientError ?? ClientError(.invalidArgument, "\(error)")
        throw ClientError(failure.code, failure.message + numbers.summary, cause: error)
    }

    /// Reads the input and sends one schedule request per message, until the input ends, an input
    /// fails, or the window is stopped.
    private static func readScheduled(
        _ options: ProducerOptions,
        time: DeliveryTime,
        client: ScheduleClient,
        window: AcknowledgementWindow<Scheduled>
    ) async {
        let headers = options.parsedHeaders
        var number = 0
        var batch: [DelayedMessage] = []
        func delayed(_ input: [UInt8], place: String) throws -> DelayedMessage {
            let message = try message(from: input, place: place, options: options)
            do {
                return DelayedMessage(
                    key: message.key,
                    value: message.value,
                    headers: headers,
                    partition: options.partition,
                    deliver: time,
                    scheduleID: try options.scheduleID(forKey: message.key)
                )
            } catch let error as ClientError {
                throw ClientError(error.code, "\(place): \(error.message)", cause: error)
            }
        }
        /// Sends the messages gathered as one request; `false` when the reader must stop.
        func send() async -> Bool {
            guard !batch.isEmpty else { return true }
            guard await window.willSend() else { return false }
            let messages = batch
            batch.removeAll(keepingCapacity: true)
            let first = number + 1
            number += messages.count
            let task = Task { try await client.schedule(topic: options.topic, messages, acks: options.acks) }
            return await window.push(Scheduled(firstNumber: first, count: messages.count, task: task))
        }
        do {
            if !options.values.isEmpty {
                for (index, value) in options.values.enumerated() {
                    batch.append(try delayed(Array(value.utf8), place: "value \(index + 1)"))
                    if batch.count == maxMessagesPerRequest { guard await send() else { break } }
                }
                _ = await send()
            } else {
                var lines = StandardInputLines().makeAsyncIterator()
                var lineNumber = 0
                while await !window.isStopped, let line = try await lines.next() {
                    lineNumber += 1
                    // One schedule id names one message: a second line is refused before the first is sent.
                    if lineNumber == 1, options.hasOneScheduleID {
                        guard try await lines.next() == nil else {
                            throw ClientError(
                                .invalidArgument,
                                ProducerOptions.oneScheduleIDMessage("standard input has more than one line")
                            )
                        }
                    }
                    batch.append(try delayed(line, place: "line \(lineNumber)"))
                    // The lines already read go together; a line typed alone goes at once.
                    if batch.count == maxMessagesPerRequest || !lines.hasBufferedLine {
                        guard await send() else { break }
                    }
                }
                _ = await send()
            }
            await window.finish()
        } catch {
            // The lines before the bad one are still scheduled, as they would have been one by one.
            _ = await send()
            await window.finish(error: error)
        }
    }
}
