import BrokerClient
import NIOCore

/// `producer --delay/--at`: each message is scheduled (one `schedule` request per message, up to
/// ``ProducerTool/maxSchedulesInFlight`` in flight on the pipelined connection) and printed as
/// `scheduled ID for TIME`, in input order, as ``ProducerTool/run(_:)`` prints acknowledgements:
/// the first failure stops the reading, every answer that arrives is still printed, and one error
/// line says which messages were scheduled.
extension ProducerTool {
    /// The most schedule requests in flight at once.
    static let maxSchedulesInFlight = 64

    /// A message handed to the broker: its input number (from 1) and the request's answer.
    struct Scheduled: Sendable {
        var number: Int
        var task: Task<ScheduledMessage, any Error>
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
            numbers.lastSent = scheduled.number
            do {
                let answer = try await scheduled.task.value
                numbers.acknowledge(scheduled.number)
                for text in lines.acknowledged(line(for: answer)) { output.writeLine(text) }
            } catch {
                lines.failed()
                if firstError == nil {
                    if let refusal = error as? ClientError, !refusal.code.isConnectionLevel {
                        firstError = ClientError(
                            refusal.code,
                            "message \(scheduled.number): \(refusal.message)",
                            cause: refusal
                        )
                    } else {
                        firstError = error
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
        /// Sends one input; `false` when the reader must stop.
        func send(_ input: [UInt8], place: String) async throws -> Bool {
            let message = try message(from: input, place: place, options: options)
            let delayed: DelayedMessage
            do {
                delayed = DelayedMessage(
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
            guard await window.willSend() else { return false }
            number += 1
            let task = Task { try await client.schedule(topic: options.topic, [delayed], acks: options.acks)[0].get() }
            return await window.push(Scheduled(number: number, task: task))
        }
        do {
            if !options.values.isEmpty {
                for (index, value) in options.values.enumerated() {
                    guard try await send(Array(value.utf8), place: "value \(index + 1)") else { break }
                }
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
                    guard try await send(line, place: "line \(lineNumber)") else { break }
                }
            }
            await window.finish()
        } catch {
            await window.finish(error: error)
        }
    }
}
