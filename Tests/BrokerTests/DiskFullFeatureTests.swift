import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// A real file system that runs out of space (a 1 MiB tmpfs) under the newer paths: a schedule's
/// write, a due schedule's fired message, and a new consumer group's state. Each is refused or
/// retried with a clear error while the disk is full, nothing is lost or doubled, and everything
/// works again once space is freed, without a restart.
@Suite("a full disk under schedules, fired messages and group state")
struct DiskFullFeatureTests {
    @Test(
        "schedules and a new group are refused with storageError while the disk is full; a due schedule fires once when space returns",
        .enabled(if: TinyFileSystem.isAvailable, "needs root to mount a tmpfs")
    )
    func fullDisk() async throws {
        let fileSystem = try #require(TinyFileSystem(inodes: 4096))
        defer { fileSystem.unmount() }
        try await withBroker(dataDirectory: fileSystem.path + "/data") { server, connection in
            let port = try #require(server.localPort)
            try await ProduceFetchTests.create(connection, "t", partitions: 1)
            let client = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            defer { Task { await client.close() } }
            let schedules = ScheduleClient(transport: client)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            // Due while the disk is full (it fills in well under a second, on tmpfs).
            _ = try await schedules.schedule(
                topic: "t",
                value: "timeout",
                deliver: .at(epochMilliseconds: now + 1_500),
                scheduleID: "order-1"
            )

            let filler = fileSystem.path + "/filler"
            try #require(Self.fill(filler) > 0, "the 1 MiB file system filled up")

            // 64 KiB of schedules: more than what is left in the pages tmpfs has already given the
            // schedule log (a few hundred bytes would still fit there, and be durable).
            let refused = try await schedules.schedule(
                topic: "t",
                (0..<32).map { _ in
                    DelayedMessage(value: String(repeating: "y", count: 2_048), deliver: .after(.seconds(1)))
                }
            )
            #expect(refused.count == 32)
            for result in refused {
                guard case .failure(let error) = result else {
                    Issue.record("a schedule was taken on a full disk")
                    continue
                }
                #expect("\(error)".contains("No space left on device"), "\(error)")
            }
            let member = try await RawMember(port: port)
            await #expect { try await member.subscribe(group: "workers", topics: ["t"]) } throws: {
                "\($0)".contains("No space left on device")
            }

            // The due time passes while the disk is full: the fire is retried, not lost.
            while Int64(Date().timeIntervalSince1970 * 1000) < now + 2_000 {
                try await Task.sleep(for: .milliseconds(50))
            }
            try FileManager.default.removeItem(atPath: filler)

            let fired = try await ScheduleTestSupport.read("t", port: port, atLeast: 1)
            #expect(fired.compactMap(\.valueString) == ["timeout"], "nothing refused was stored")
            let again = try await schedules.schedule(topic: "t", value: "later", deliver: .after(.milliseconds(1)))
            #expect(!again.scheduleID.isEmpty)
            #expect(try await member.subscribe(group: "workers", topics: ["t"]).created)
            let both = try await ScheduleTestSupport.read("t", port: port, atLeast: 2)
            #expect(both.compactMap(\.valueString) == ["timeout", "later"], "each fired once")
        }
    }

    /// Writes `path` until the file system is full (big writes, then single bytes); the bytes written.
    static func fill(_ path: String) throws -> Int {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw TestFailure("cannot create \(path): errno \(errno)") }
        defer { close(descriptor) }
        var written = 0
        for size in [65_536, 4_096, 256, 1] {
            let chunk = [UInt8](repeating: 0x55, count: size)
            while chunk.withUnsafeBytes({ write(descriptor, $0.baseAddress, size) }) == size { written += size }
        }
        return written
    }
}
