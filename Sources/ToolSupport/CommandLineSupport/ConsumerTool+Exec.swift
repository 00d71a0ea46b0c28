import BrokerClient
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ConsumerTool {
    /// `consumer --group G --exec CMD`: a job runner. Runs CMD once per message (``ExecRunner``),
    /// up to `--concurrency` at once; the member holds no more messages than that (its prefetch),
    /// so none waits in the consumer while its ack timeout runs.
    ///
    /// Stops after `--count` handled messages, at the end with `--until-end`, or at SIGINT/SIGTERM:
    /// the first one starts no more handlers and lets the running ones finish and be settled; a
    /// second one kills them (SIGKILL to their process groups) unsettled. The member then leaves
    /// the group: the messages it held and had not finished go to the group again at once, not
    /// counted as failed deliveries. If the connection to the broker is lost, the running handlers
    /// get SIGTERM (SIGKILL after ``ExecRunner/terminationGrace``; the broker gives their messages
    /// to other members) and the error is reported.
    ///
    /// The reading is a task of its own, and the handlers run in tasks of the runner rather than
    /// as its children: a signal cancels the reading, and the running handlers (with their
    /// extensions) must go on. Both are awaited before this returns (`reader.value`,
    /// ``ExecRunner/waitUntilIdle()``).
    static func runExec(_ command: String, group: String, _ options: ConsumerOptions) async throws {
        // A handler that exits without reading its whole value must not kill the consumer.
        signal(SIGPIPE, SIG_IGN)
        var connectionConfiguration = ConnectionConfiguration()
        connectionConfiguration.clientName = "consumer"
        let connection = BrokerConnection(
            address: try options.connection.address(),
            configuration: connectionConfiguration
        )
        let concurrency = options.concurrency ?? 1
        var configuration = options.groupConfiguration
        configuration.prefetch = concurrency
        let consumer = GroupConsumer(
            connection: connection,
            group: group,
            topics: [options.topic],
            configuration: configuration
        )
        let admin = Admin(transport: connection)
        let runner = ExecRunner(command: command, group: group, concurrency: concurrency, admin: admin)
        let count = options.count
        let reader = Task {
            var started = 0
            for try await message in consumer.messages() {
                await runner.acquireSlot()
                if Task.isCancelled {
                    await runner.releaseSlot()
                    break
                }
                await runner.start(message)
                started += 1
                if let count, started >= count { break }
            }
        }
        let interruption = InterruptionRecord()
        let interrupts = ExecInterrupts(
            drain: { signal in
                interruption.signal = signal
                reader.cancel()
                StandardOutput.writeError(
                    program: "consumer",
                    "\(signal == SIGINT ? "SIGINT" : "SIGTERM"): starting no more handlers, waiting for the running "
                        + "ones (SIGINT or SIGTERM again kills them)"
                )
            },
            abandon: { signal in
                StandardOutput.writeError(
                    program: "consumer",
                    "\(signal == SIGINT ? "SIGINT" : "SIGTERM"): killing the running handlers (their messages go "
                        + "back to the group)"
                )
                Task { await runner.abandon(signal: SIGKILL) }
            }
        )
        defer { interrupts.cancel() }
        // At the end, start no more handlers; the running ones (of messages produced since the
        // start) finish and are settled before the member leaves.
        let watcher =
            options.untilEnd
            ? try await untilEndWatcher(options.topic, group: group, admin) { reader.cancel() } : nil
        defer { watcher?.cancel() }

        let failure: (any Error)?
        var killer: Task<Void, Never>?
        do {
            try await reader.value
            failure = nil
        } catch {
            // The connection is lost: the broker gives these messages to other members. Handlers
            // still running after the grace period get SIGKILL.
            await runner.abandon(signal: SIGTERM)
            killer = Task {
                guard (try? await Task.sleep(for: ExecRunner.terminationGrace)) != nil else { return }
                await runner.abandon(signal: SIGKILL)
            }
            failure = error
        }
        await runner.waitUntilIdle()
        killer?.cancel()
        do {
            if failure == nil { try await consumer.leave() }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        if let failure { throw failure }
        if let signal = interruption.signal {
            let settled = await runner.settled
            throw ToolInterrupted(
                signal: signal,
                summary: " after \(settled) message\(settled == 1 ? "" : "s") settled"
            )
        }
    }

    /// With `--until-end`: the end of each partition now (and of what is being redriven to the
    /// group), and a task that calls `atEnd` once the group's committed offsets have reached them
    /// (everything acknowledged or dead-lettered).
    static func untilEndWatcher(
        _ topic: String,
        group: String,
        _ admin: Admin,
        atEnd: @escaping @Sendable () async throws -> Void
    ) async throws -> Task<Void, any Error> {
        let ends = try await untilEndOffsets(topic, group: group, admin: admin)
        return Task {
            while !Task.isCancelled {
                if try await reached(ends, group: group, admin: admin) {
                    try await atEnd()
                    return
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// The signal that interrupted the consumer, set from the signal queue and read at the end.
private final class InterruptionRecord: @unchecked Sendable {
    private let queue = DispatchQueue(label: "sluice.consumer.interruption")
    private var value: Int32?

    var signal: Int32? {
        get { queue.sync { value } }
        set { queue.sync { value = newValue } }
    }
}
