import ArgumentParser
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import ToolSupport

/// `broker-bench group-hold`: a group member that takes messages and never finishes them, so that
/// a restart of the broker finds them delivered and unacknowledged (scripts/bench-group-restart.sh).
struct GroupHoldProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group-hold",
        abstract: "Join a group, take --count messages without acknowledging them, and hold them.",
        discussion: """
            Prints `holding N` on standard output once it holds --count messages (the group must \
            allow that many unfinished: maxUnfinishedPerPartition times the partitions), then \
            waits until the connection closes (the broker stops) and exits 0. For measuring a \
            restart with messages in flight.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic.")
    var topic: String

    @Option(help: "The group (it must exist, or it starts at the end of the topic).")
    var group: String

    @Option(help: "Messages to take and hold.")
    var count: Int = 10_000

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let connection = BrokerConnection(address: try self.connection.address())
        var configuration = GroupConsumerConfiguration()
        configuration.prefetch = count
        let member = GroupConsumer(connection: connection, group: group, topics: [topic], configuration: configuration)
        var held: [GroupMessage] = []
        held.reserveCapacity(count)
        do {
            for try await message in member.messages() {
                held.append(message)
                if held.count == count {
                    FileHandle.standardOutput.write(Data("holding \(count)\n".utf8))
                }
            }
        } catch let error as ClientError where error.code == .connectionClosed {
            // The broker stopped: what this probe waits for.
        }
        guard held.count >= count else {
            throw ValidationError("the connection closed while holding \(held.count) of \(count) messages")
        }
    }
}

/// `broker-bench group-wait`: how long a restarting broker takes to serve, and to deliver a
/// group's unfinished messages again (scripts/bench-group-restart.sh).
struct GroupWaitProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group-wait",
        abstract: "Connect as soon as the broker answers, join a group and wait for its first delivery.",
        discussion: """
            Tries to connect every 5 ms until the broker answers a handshake, then joins --group \
            (if given) and waits for the first message. Prints one JSON object with epoch milliseconds: \
            `serving_ms` (the first answered handshake), `first_delivery_ms` and that message's \
            `delivery_count`. The member leaves without acknowledging it.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic (with --group).")
    var topic: String = ""

    @Option(help: "The group; without it, only the time to the first answered handshake is printed.")
    var group: String?

    @Option(help: "Give up after this long (e.g. 60s).")
    var timeout: String = "60s"

    func validate() throws {
        if DurationSyntax.parse(timeout) == nil {
            throw ValidationError("--timeout must be \(DurationSyntax.expected), got '\(timeout)'")
        }
    }

    func run() async throws {
        let address = try connection.address()
        let limit = ContinuousClock.now + DurationSyntax.parse(timeout)!
        var configuration = ConnectionConfiguration()
        configuration.connectAttempts = 1
        configuration.connectTimeout = .milliseconds(500)
        var connected: BrokerConnection?
        while connected == nil {
            let attempt = BrokerConnection(address: address, configuration: configuration)
            do {
                try await attempt.connect()
                connected = attempt
            } catch {
                await attempt.close()
                guard ContinuousClock.now < limit else {
                    throw ValidationError("the broker did not answer within \(timeout): \(error)")
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let serving = currentTimeMilliseconds()
        guard let group else {
            await connected!.close()
            print("{\"serving_ms\":\(serving)}")
            return
        }
        let member = GroupConsumer(connection: connected!, group: group, topics: [topic])
        let first = try await withThrowingTaskGroup(of: GroupMessage?.self) { tasks in
            tasks.addTask {
                for try await message in member.messages() { return message }
                return nil
            }
            tasks.addTask {
                try await Task.sleep(until: limit)
                return nil
            }
            defer { tasks.cancelAll() }
            return try await tasks.next()!
        }
        let delivered = currentTimeMilliseconds()
        try? await member.leave()
        await connected!.close()
        guard let first else { throw ValidationError("no delivery within \(timeout)") }
        print(
            "{\"serving_ms\":\(serving),\"first_delivery_ms\":\(delivered),"
                + "\"delivery_count\":\(first.deliveryCount),\"offset\":\(first.record.offset)}"
        )
    }
}
