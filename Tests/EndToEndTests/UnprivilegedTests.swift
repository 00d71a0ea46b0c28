import Foundation
import ProcessTesting
import Testing

/// `brokerd` and the command-line tools run as an ordinary user (uid/gid 65534 through `setpriv`).
///
/// The other end-to-end tests run as root, where a socket option set at the wrong level (option 1
/// at `SOL_SOCKET` is `SO_DEBUG`, which only root may set) succeeds silently. These tests need
/// root to drop to another user, and `setpriv`; without either they are skipped with that reason.
@Suite(
    "brokerd and the tools as an unprivileged user",
    .serialized,
    .enabled(if: Unprivileged.isAvailable, Comment(rawValue: Unprivileged.unavailableReason))
)
struct UnprivilegedTests {
    @Test("brokerd serves producer, consumer, broker-bench and brokerctl when every process runs as uid 65534")
    func toolsAgainstUnprivilegedBroker() async throws {
        let directory = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try await unprivilegedBrokerd(dataDirectory: directory + "/data")
        defer { broker.kill() }
        let address = broker.address

        let create = try await Unprivileged.run(
            "brokerctl",
            ["--broker", address, "topics", "create", "unprivileged", "--partitions", "2"]
        )
        #expect(create.status == 0, "brokerctl topics create failed: \(create.standardError)")

        let lines = (0..<100).map { "key-\($0):value-\($0)" }.joined(separator: "\n") + "\n"
        let produce = try await Unprivileged.run(
            "producer",
            ["--broker", address, "--topic", "unprivileged", "--key-separator", ":"],
            input: lines
        )
        #expect(produce.status == 0, "producer failed: \(produce.standardError)")
        #expect(produce.lines.count == 100, "one acknowledgement per line: \(produce.standardOutput)")

        let consume = try await Unprivileged.run(
            "consumer",
            ["--broker", address, "--topic", "unprivileged", "--until-end"]
        )
        #expect(consume.status == 0, "consumer failed: \(consume.standardError)")
        #expect(Set(consume.lines) == Set((0..<100).map { "value-\($0)" }))

        for mode in ["produce", "consume"] {
            let bench = try await Unprivileged.run(
                "broker-bench",
                [mode, "--broker", address, "--topic", "bench", "--count", "2000", "--message-size", "50"]
            )
            #expect(bench.status == 0, "broker-bench \(mode) failed: \(bench.standardError)")
        }

        let status = try await Unprivileged.run("brokerctl", ["--broker", address, "status"])
        #expect(status.status == 0, "brokerctl status failed: \(status.standardError)")

        #expect(try await broker.stop() == 0, "brokerd exits 0 on SIGTERM: \(broker.logText)")
        #expect(!broker.logText.lowercased().contains("permission denied"), "\(broker.logText)")
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/data/unprivileged")
        #expect(attributes[.ownerAccountID] as? Int == 65534, "the topic was created by the unprivileged broker")
    }
}

extension UnprivilegedTests {
    @Test("brokerd --max-connections refuses at once, --frame-timeout-ms cuts off an unfinished frame")
    func connectionFlags() async throws {
        let directory = try Unprivileged.scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broker = try await unprivilegedBrokerd(
            dataDirectory: directory + "/data",
            extraArguments: ["--max-connections", "1", "--frame-timeout-ms", "300"]
        )
        defer { broker.kill() }
        let port = try #require(broker.address.split(separator: ":").last.flatMap { UInt16($0) })

        let held = try RawConnection(port: port)
        // A handshake (key 0, version 0, correlation id 1, clientName "raw"), so the broker has
        // surely counted this connection before brokerctl connects.
        try held.send([0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0x72, 0x61, 0x77])
        let handshake = held.receiveFrame()
        #expect(handshake.count > 6 && handshake[3] == 1 && handshake[4] == 0 && handshake[5] == 0, "\(handshake)")
        let refused = try await Unprivileged.run("brokerctl", ["--broker", broker.address, "status"])
        #expect(refused.status != 0)
        #expect(refused.standardError.contains("maxConnections (1)"), "\(refused.standardError)")

        // Announce a 1 MiB frame and never send it: answered requestTimedOut (21), then closed.
        try held.send([0x00, 0x10, 0x00, 0x00, 0x00])
        let answer = held.receiveUntilClosed()
        #expect(answer.count >= 10 && answer[8] == 0 && answer[9] == 21, "\(answer)")

        let status = try await Unprivileged.run("brokerctl", ["--broker", broker.address, "status"])
        #expect(status.status == 0, "the slot is free again: \(status.standardError)")
        #expect(try await broker.stop() == 0)
    }
}

/// A plain blocking TCP socket to 127.0.0.1, for bytes no client library would send.
final class RawConnection {
    private let descriptor: Int32

    init(port: UInt16) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CrashTestError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw CrashTestError("connect: errno \(errno)")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) throws {
        guard Glibc.send(descriptor, bytes, bytes.count, 0) == bytes.count else {
            throw CrashTestError("send: errno \(errno)")
        }
    }

    /// One whole frame (its payload: correlation id, error code, body), or what came before a close.
    func receiveFrame() -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 4 || received.count < 4 + Int(received[0..<4].reduce(0) { $0 << 8 | UInt32($1) }) {
            let count = recv(descriptor, &buffer, min(buffer.count, needed(received)), 0)
            guard count > 0 else { return received }
            received += buffer[0..<count]
        }
        return Array(received.dropFirst(4))
    }

    private func needed(_ received: [UInt8]) -> Int {
        guard received.count >= 4 else { return 4 - received.count }
        return 4 + Int(received[0..<4].reduce(0) { $0 << 8 | UInt32($1) }) - received.count
    }

    /// Everything received until the peer closes (or 30 s pass without a byte).
    func receiveUntilClosed() -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return received }
            received += buffer[0..<count]
        }
    }
}

/// Running built executables as uid/gid 65534 with `setpriv`.
enum Unprivileged {
    static let setpriv = "/usr/bin/setpriv"
    static let dropArguments = ["--reuid=65534", "--regid=65534", "--clear-groups"]

    static var isAvailable: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: setpriv) }

    static var unavailableReason: String {
        if getuid() != 0 {
            return "skipped: needs root to run the broker and tools as uid 65534 (running as uid \(getuid()))"
        }
        return "skipped: needs \(setpriv) (util-linux) to run the broker and tools as uid 65534"
    }

    /// A fresh directory that uid 65534 may write.
    static func scratchDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "sluice-unprivileged-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory)
        return directory
    }

    /// A process that runs the built executable `name` as uid 65534.
    static func process(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: setpriv)
        process.arguments = dropArguments + [try executable(named: name).path] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["HOME"] = "/tmp"
        process.environment = environment
        return process
    }

    /// Runs a built tool as uid 65534 to completion (bounded), with optional standard input.
    static func run(_ name: String, _ arguments: [String], input: String? = nil) async throws -> ToolRun {
        try await runToCompletion(
            try process(name, arguments),
            input: input,
            timeoutSeconds: 60,
            describedAs: "\(name) \(arguments.joined(separator: " "))"
        )
    }
}

/// `brokerd` as uid 65534 on ephemeral ports (under `setpriv`).
func unprivilegedBrokerd(dataDirectory: String, extraArguments: [String] = []) async throws -> BrokerdProcess {
    try await BrokerdProcess(
        dataDirectory: dataDirectory,
        extraArguments: extraArguments,
        wrapper: [Unprivileged.setpriv] + Unprivileged.dropArguments,
        environment: ["HOME": "/tmp"]
    )
}
