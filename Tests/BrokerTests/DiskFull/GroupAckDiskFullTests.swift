import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// An existing group whose state log runs out of space (a 1 MiB tmpfs filled by a file) while its
/// member acknowledges: what the member is answered, what is kept, and what comes back once space
/// returns, without and with a restart (docs/DURABILITY.md, "Consumer-group state").
@Suite("a full disk under an existing group's acknowledgements")
struct GroupAckDiskFullTests {
    static let messageCount = 300
    static let ackedBeforeFull = 10
    /// A long ack timeout: acks one by one on a loaded machine must not see deliveries time out
    /// (a timed-out delivery comes back, and is not the member's to acknowledge).
    static let settings = RequestedGroupSettings(ackTimeoutMilliseconds: 600_000)

    /// What acking every message one by one on a full disk gave.
    struct AckOutcome {
        var answered: Set<Int64> = []
        var refused: Set<Int64> = []
    }

    @Test(
        "acks refused with storageError on a full disk are written once space returns, without a restart",
        .enabled(if: TinyFileSystem.isAvailable, "needs root to mount a tmpfs")
    )
    func refusedAcksAreWrittenWhenSpaceReturns() async throws {
        let fileSystem = try #require(TinyFileSystem(inodes: 4096))
        defer { fileSystem.unmount() }
        try await withBroker(dataDirectory: fileSystem.path + "/data") { server, connection in
            let port = try #require(server.localPort)
            let member = try await Self.startGroup(port: port, connection: connection)
            let filler = fileSystem.path + "/filler"
            let outcome = try await Self.ackOnFullDisk(member, filler: filler)
            try FileManager.default.removeItem(atPath: filler)

            // Space is back: the kept acknowledgements reach the log by themselves.
            let store = try #require(server.groups?.store)
            let id = GroupPartitionID(group: "workers", topic: "t", partition: 0)
            let end = Int64(Self.messageCount)
            try await pollUntil("the refused acks are written (committed offset \(end))") {
                store.state(of: id)?.committedOffset == end
            }
            #expect(!outcome.refused.isEmpty)
            // And the group goes on: a new message is delivered and its ack answered.
            _ = try await ProduceFetchTests.produce(
                connection,
                "t",
                partition: 0,
                Self.batch(["after"])
            )
            let next = try await member.nextPush()
            #expect(next.map(\.offset) == [end], "only the new message is delivered")
            let ack = try await member.ack("t", next)
            #expect(ack.entries.allSatisfy { $0.errorCode == .none }, "\(ack.entries)")
        }
        // After a clean restart nothing comes back: every ack, answered or kept, was written.
        try await withBroker(dataDirectory: fileSystem.path + "/data") { server, _ in
            let member = try await RawMember(port: try #require(server.localPort))
            try await member.subscribe(group: "workers", topics: ["t"], settings: Self.settings, credits: 1_000)
            await #expect(throws: (any Error).self, "nothing is delivered again") {
                _ = try await member.nextPush(timeoutSeconds: 2)
            }
        }
    }

    @Test(
        "after a restart on a full disk, exactly the messages whose acks were refused come back",
        .enabled(if: TinyFileSystem.isAvailable, "needs root to mount a tmpfs")
    )
    func restartRedeliversTheRefusedAcks() async throws {
        let fileSystem = try #require(TinyFileSystem(inodes: 4096))
        defer { fileSystem.unmount() }
        let filler = fileSystem.path + "/filler"
        let outcome = try await withBroker(dataDirectory: fileSystem.path + "/data") { server, connection in
            let member = try await Self.startGroup(port: try #require(server.localPort), connection: connection)
            // The broker stops while the disk is still full: the refused acks were never written.
            return try await Self.ackOnFullDisk(member, filler: filler)
        }
        try FileManager.default.removeItem(atPath: filler)
        try await withBroker(dataDirectory: fileSystem.path + "/data") { server, _ in
            let member = try await RawMember(port: try #require(server.localPort))
            try await member.subscribe(group: "workers", topics: ["t"], settings: Self.settings, credits: 1_000)
            var redelivered: [RawMember.Delivered] = []
            while redelivered.count < outcome.refused.count {
                redelivered += try await member.nextPush()
            }
            let offsets = Set(redelivered.map(\.offset))
            #expect(offsets == outcome.refused, "the refused acks' messages, and only they, come back")
            #expect(offsets.isDisjoint(with: outcome.answered), "no answered ack's message comes back")
            #expect(redelivered.count == offsets.count, "each once")
            let ack = try await member.ack("t", redelivered)
            #expect(ack.entries.allSatisfy { $0.errorCode == .none }, "\(ack.entries)")
        }
    }

    @Test(
        "at maxUnwrittenGroupEventsPerPartition the oldest refused acks are dropped: they, and only they, come back",
        .enabled(if: TinyFileSystem.isAvailable, "needs root to mount a tmpfs")
    )
    func unwrittenEventsStopAtTheirLimit() async throws {
        let limit = 5
        let fileSystem = try #require(TinyFileSystem(inodes: 4096))
        defer { fileSystem.unmount() }
        let data = fileSystem.path + "/data"
        let outcome = try await withBroker(dataDirectory: data) {
            $0.limits.maxUnwrittenGroupEventsPerPartition = limit
        } _: { server, connection in
            let port = try #require(server.localPort)
            let member = try await Self.startGroup(port: port, connection: connection)
            let filler = fileSystem.path + "/filler"
            let outcome = try await Self.ackOnFullDisk(member, filler: filler)
            try #require(outcome.refused.count > limit, "more acks refused (\(outcome.refused.count)) than are kept")
            let runtime = try #require(server.groups?.runtime(named: "workers"))
            let kept = try await runtime.loop.submit { runtime.slots.values.map(\.unwritten.count) }.get()
            #expect(kept == [limit], "one event per refused ack, the newest \(limit) kept")
            // Space returns: the kept events are written, the dropped ones never are.
            try FileManager.default.removeItem(atPath: filler)
            try await pollUntil("the kept events are written") {
                try await runtime.loop.submit { runtime.slots.values.allSatisfy(\.unwritten.isEmpty) }.get()
            }
            return outcome
        }
        // After a clean restart the messages whose ack events were dropped come back; those of the
        // newest `limit` refused acks (written once space returned) and of every answered ack do not.
        let kept = Set(outcome.refused.sorted().suffix(limit))
        try await withBroker(dataDirectory: data) { server, _ in
            let member = try await RawMember(port: try #require(server.localPort))
            try await member.subscribe(group: "workers", topics: ["t"], settings: Self.settings, credits: 1_000)
            var redelivered: [RawMember.Delivered] = []
            while redelivered.count < outcome.refused.count - limit {
                redelivered += try await member.nextPush()
            }
            #expect(Set(redelivered.map(\.offset)) == outcome.refused.subtracting(kept))
            await #expect(throws: (any Error).self, "nothing else is delivered again") {
                _ = try await member.nextPush(timeoutSeconds: 2)
            }
        }
    }

    /// Creates topic `t` with ``messageCount`` messages and group `workers` reading it from the
    /// start; returns its member once it holds every message and has acked the first
    /// ``ackedBeforeFull``.
    static func startGroup(port: Int, connection: TestConnection) async throws -> RawMember {
        try await ProduceFetchTests.create(connection, "t", partitions: 1)
        let values = (0..<messageCount).map { "job \($0) " + String(repeating: "x", count: 64) }
        let produced = try await ProduceFetchTests.produce(connection, "t", partition: 0, Self.batch(values))
        #expect(produced.errorCode == .none)
        let member = try await RawMember(port: port)
        try await member.subscribe(group: "workers", topics: ["t"], settings: Self.settings, credits: 1_000)
        var delivered: [RawMember.Delivered] = []
        while delivered.count < messageCount { delivered += try await member.nextPush() }
        #expect(delivered.map(\.offset) == (0..<Int64(messageCount)).map { $0 })
        for offset in 0..<Int64(ackedBeforeFull) {
            let ack = try await member.ack("t", [Self.delivered(offset)])
            #expect(ack.entries.map(\.errorCode) == [.none])
        }
        return member
    }

    /// Fills the file system, then acks the rest of the messages one by one (each its own append of
    /// the state log): some fit in what the log's pages still hold, the rest are refused.
    static func ackOnFullDisk(_ member: RawMember, filler: String) async throws -> AckOutcome {
        try #require(DiskFullFeatureTests.fill(filler) > 0, "the 1 MiB file system filled up")
        var outcome = AckOutcome()
        outcome.answered = Set(0..<Int64(ackedBeforeFull))
        for offset in Int64(ackedBeforeFull)..<Int64(messageCount) {
            let ack = try await member.ack("t", [delivered(offset)])
            let entry = try #require(ack.entries.first)
            if entry.errorCode == .none {
                outcome.answered.insert(offset)
            } else {
                #expect(entry.errorCode == .storageError, "\(entry)")
                #expect(entry.errorMessage?.contains("No space left on device") == true, "\(entry)")
                outcome.refused.insert(offset)
            }
        }
        try #require(!outcome.refused.isEmpty, "the full disk refused some acks (\(outcome.answered.count) answered)")
        return outcome
    }

    /// One batch of records with `values`.
    static func batch(_ values: [String]) -> ByteBuffer {
        var bytes = ByteBuffer()
        RecordBatch.write(
            records: values.map { Record(value: ByteBuffer(string: $0), timestamp: currentTimeMilliseconds()) },
            into: &bytes
        )
        return bytes
    }

    static func delivered(_ offset: Int64) -> RawMember.Delivered {
        RawMember.Delivered(partition: 0, offset: offset, deliveryCount: 1)
    }
}

/// Polls `condition` every 20 ms, for at most 60 s; fails the test with `what` if it never holds.
func pollUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting until \(what)")
    throw TestFailure("timed out waiting until \(what)")
}
