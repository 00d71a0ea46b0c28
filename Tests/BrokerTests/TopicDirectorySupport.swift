import Broker
import Foundation
import ProcessTesting
import Testing

/// A scratch data directory that outlives one broker, so that a test can restart a broker on it.
final class ScratchDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "sluice-topic-directory-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The entries of `directory` under this one (`""`: this one), sorted.
    func entries(_ directory: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? path : path + "/" + directory).sorted()
    }
}

/// A broker started on `dataDirectory` for `body`, then shut down.
func withBroker<T>(
    dataDirectory: String,
    _ configure: (inout BrokerConfiguration) async -> Void = { _ in },
    _ body: (BrokerServer, TestConnection) async throws -> T
) async throws -> T {
    var configuration = BrokerConfiguration(dataDirectory: dataDirectory, port: 0)
    await configure(&configuration)
    let server = BrokerServer(configuration: configuration)
    try await server.start()
    do {
        let connection = try await TestConnection(port: try #require(server.localPort))
        let result = try await body(server, connection)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// A tiny tmpfs mounted for one test (the tests run as root), so that a real file system runs out
/// of inodes under the broker. `nil` when mounting is not possible here.
final class TinyFileSystem {
    let path: String

    /// Whether this process can mount a tmpfs (root, with the capability).
    static let isAvailable: Bool = {
        guard geteuid() == 0, let probe = TinyFileSystem(inodes: 8) else { return false }
        probe.unmount()
        return true
    }()

    /// Mounts a 1 MiB tmpfs with at most `inodes` inodes (the root directory takes one).
    init?(inodes: Int) {
        path = NSTemporaryDirectory() + "sluice-tmpfs-" + UUID().uuidString
        guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
            Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m,nr_inodes=\(inodes)", "tmpfs", path])
        else {
            try? FileManager.default.removeItem(atPath: path)
            return nil
        }
    }

    func unmount() {
        // A lazy unmount if something still holds a file there: never leave the mount behind.
        if !Self.run("/bin/umount", [path]) { _ = Self.run("/bin/umount", ["-l", path]) }
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()  // mount and umount: a moment
        return process.terminationStatus == 0
    }
}

/// Runs `tool` with `arguments`, failing the test if it does not exit 0.
@discardableResult
func runCommand(_ tool: String, _ arguments: [String]) throws -> Int32 {
    let process = ChildProcess()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()  // chattr, mount, ...: a moment
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(tool) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return process.terminationStatus
}
