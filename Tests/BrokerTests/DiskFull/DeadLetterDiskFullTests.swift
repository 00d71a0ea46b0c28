import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// A dead-letter topic whose log is on a full file system (a 1 MiB tmpfs bind-mounted on its
/// directory and filled by a file) while the group's own state log has room: rejects are answered
/// with the storage error, no message is lost or dead-lettered twice, and each is dead-lettered
/// once when space returns (docs/DURABILITY.md, "Consumer-group state").
@Suite("a full disk under a dead-letter topic")
struct DeadLetterDiskFullTests {
    static let messageCount = 60
    /// Offsets 0 (before the disk is full) to this one (after) are rejected; the rest acked.
    static let lastRejected: Int64 = 40
    static let topicDirectory = DeadLetterWriter.topicName(group: "workers", topic: "t")

    @Test(
        "dead letters refused by a full dead-letter log are written once each when space returns",
        .enabled(if: TinyFileSystem.isAvailable, "needs root to mount a tmpfs")
    )
    func deadLettersWaitForSpace() async throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path + "/data"
        // A first dead letter creates the topic on the ordinary disk.
        try await withBroker(dataDirectory: data) { server, connection in
            let member = try await Self.produceAndSubscribe(Self.messageCount, server, connection)
            var delivered: [RawMember.Delivered] = []
            while delivered.count < Self.messageCount { delivered += try await member.nextPush() }
            let rejected = try await member.reject("t", delivered[0], reason: "poison")
            #expect(rejected.entries.map(\.errorCode) == [.none])
        }
        // Its directory moves onto the tiny file system.
        let fileSystem = try #require(TinyFileSystem(inodes: 4096))
        defer { fileSystem.unmount() }
        let dlqDirectory = data + "/" + Self.topicDirectory
        try Self.move(dlqDirectory, onto: fileSystem)
        defer { _ = try? runCommand("/bin/umount", [dlqDirectory]) }

        var answered: Set<Int64> = [0]
        try await withBroker(dataDirectory: data) { server, connection in
            let port = try #require(server.localPort)
            let member = try await RawMember(port: port)
            try await member.subscribe(
                group: "workers",
                topics: ["t"],
                settings: GroupAckDiskFullTests.settings,
                credits: 100
            )
            var delivered: [RawMember.Delivered] = []
            while delivered.count < Self.messageCount - 1 { delivered += try await member.nextPush() }
            #expect(
                Set(delivered.map(\.offset)) == Set(1..<Int64(Self.messageCount)),
                "every message but the dead letter comes back"
            )

            let filler = fileSystem.path + "/filler"
            try #require(DiskFullFeatureTests.fill(filler) > 0, "the 1 MiB file system filled up")
            var refused: Set<Int64> = []
            for letter in delivered.sorted(by: { $0.offset < $1.offset }).prefix(Int(Self.lastRejected)) {
                let entry = try #require(try await member.reject("t", letter, reason: "poison").entries.first)
                if entry.errorCode == .none {
                    answered.insert(letter.offset)
                } else {
                    #expect(entry.errorCode == .storageError, "\(entry)")
                    #expect(entry.errorMessage?.contains("No space left on device") == true, "\(entry)")
                    refused.insert(letter.offset)
                }
            }
            try #require(!refused.isEmpty, "the full dead-letter log refused some dead letters")
            // The group's own state log is elsewhere: its acks go on.
            let acked = try await member.ack("t", delivered.filter { $0.offset > Self.lastRejected })
            #expect(acked.entries.allSatisfy { $0.errorCode == .none }, "\(acked.entries)")

            try FileManager.default.removeItem(atPath: filler)
            let store = try #require(server.groups?.store)
            let id = GroupPartitionID(group: "workers", topic: "t", partition: 0)
            try await pollUntil("every message is finished (committed offset \(Self.messageCount))") {
                store.state(of: id)?.committedOffset == Int64(Self.messageCount)
            }
            let letters = try await ScheduleTestSupport.read(
                Self.topicDirectory,
                port: port,
                atLeast: Int(Self.lastRejected) + 1
            )
            Self.expectOnce(letters, offsets: 0...Self.lastRejected)
        }
        // A restart delivers nothing again and writes no dead letter again.
        try await withBroker(dataDirectory: data) { server, _ in
            let port = try #require(server.localPort)
            let member = try await RawMember(port: port)
            try await member.subscribe(
                group: "workers",
                topics: ["t"],
                settings: GroupAckDiskFullTests.settings,
                credits: 100
            )
            await #expect(throws: (any Error).self, "nothing is delivered again") {
                _ = try await member.nextPush(timeoutSeconds: 2)
            }
            Self.expectOnce(
                try await ScheduleTestSupport.read(Self.topicDirectory, port: port),
                offsets: 0...Self.lastRejected
            )
        }
    }

    @Test(
        "a reject whose failure mark the full state log refuses writes no dead letter; after a restart the message comes back",
        .enabled(if: TinyFileSystem.isAvailable, "needs root to mount a tmpfs")
    )
    func noDeadLetterWithoutItsMark() async throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path + "/data"
        let count = 20
        try await withBroker(dataDirectory: data) { server, connection in
            let member = try await Self.produceAndSubscribe(count, server, connection)
            _ = try await member.nextPush()
        }
        // The group state log moves onto the tiny file system; the topics stay where they are.
        let fileSystem = try #require(TinyFileSystem(inodes: 4096))
        defer { fileSystem.unmount() }
        let stateDirectory = data + "/" + GroupStateStore.directoryName
        try Self.move(stateDirectory, onto: fileSystem)
        defer { _ = try? runCommand("/bin/umount", [stateDirectory]) }

        let filler = fileSystem.path + "/filler"
        var answered: Set<Int64> = []
        var refused: Set<Int64> = []
        try await withBroker(dataDirectory: data) { server, _ in
            let member = try await RawMember(port: try #require(server.localPort))
            try await member.subscribe(
                group: "workers",
                topics: ["t"],
                settings: GroupAckDiskFullTests.settings,
                credits: 100
            )
            var delivered: [RawMember.Delivered] = []
            while delivered.count < count { delivered += try await member.nextPush() }
            try #require(DiskFullFeatureTests.fill(filler) > 0, "the 1 MiB file system filled up")
            // Long reasons, so that the failure marks soon overflow the pages the log already has.
            for letter in delivered.sorted(by: { $0.offset < $1.offset }) {
                let reason = "poison \(letter.offset) " + String(repeating: "r", count: 500)
                let entry = try #require(try await member.reject("t", letter, reason: reason).entries.first)
                if entry.errorCode == .none {
                    answered.insert(letter.offset)
                } else {
                    #expect(entry.errorCode == .storageError, "\(entry)")
                    refused.insert(letter.offset)
                }
            }
            try #require(!refused.isEmpty, "the full state log refused some failure marks")
        }
        // The broker stopped before space returned: the refused marks are lost, and so must their
        // dead letters be (never written): the messages come back instead.
        try FileManager.default.removeItem(atPath: filler)
        try await withBroker(dataDirectory: data) { server, _ in
            let port = try #require(server.localPort)
            let member = try await RawMember(port: port)
            try await member.subscribe(
                group: "workers",
                topics: ["t"],
                settings: GroupAckDiskFullTests.settings,
                credits: 100
            )
            var redelivered: [RawMember.Delivered] = []
            while let push = try? await member.nextPush(timeoutSeconds: 5) { redelivered += push }
            let back = Set(redelivered.map(\.offset))
            #expect(back.count == redelivered.count, "each message comes back once")
            #expect(!back.isEmpty, "messages whose failure marks were refused come back")
            #expect(back.isSubset(of: refused), "no answered reject's message comes back")
            // A reject answered with the error may still be dead-lettered: its mark was written but
            // its finished mark was not (the restart writes the dead letter again, deduplicated).
            let letters =
                back.count == count
                ? [] : try await ScheduleTestSupport.read(Self.topicDirectory, port: port, atLeast: count - back.count)
            let sources = letters.compactMap { ScheduleTestSupport.header(DeadLetterWriter.Header.offset, of: $0) }
            #expect(sources.count == Set(sources).count, "each dead letter once: \(sources)")
            let lettered = Set(sources.compactMap { Int64($0) })
            #expect(lettered.isDisjoint(with: back), "no message both in the dead-letter topic and delivered again")
            #expect(lettered.union(back) == Set(0..<Int64(count)), "every message dead-lettered or delivered again")
            #expect(answered.isSubset(of: lettered))
        }
    }

    /// Moves the contents of `directory` onto `fileSystem` and bind-mounts it there.
    static func move(_ directory: String, onto fileSystem: TinyFileSystem) throws {
        for entry in try FileManager.default.contentsOfDirectory(atPath: directory) {
            try FileManager.default.copyItem(atPath: directory + "/" + entry, toPath: fileSystem.path + "/" + entry)
            try FileManager.default.removeItem(atPath: directory + "/" + entry)
        }
        try runCommand("/bin/mount", ["--bind", fileSystem.path, directory])
    }

    /// Message `index`'s value: big enough that 40 dead letters overflow the pages their log
    /// already has.
    /// Topic `t` with `count` messages, and a member of group `workers` subscribed to it.
    static func produceAndSubscribe(
        _ count: Int,
        _ server: BrokerServer,
        _ connection: TestConnection
    ) async throws
        -> RawMember
    {
        try await ProduceFetchTests.create(connection, "t", partitions: 1)
        let values = (0..<count).map { value($0) }
        let produced = try await ProduceFetchTests.produce(
            connection,
            "t",
            partition: 0,
            GroupAckDiskFullTests.batch(values)
        )
        #expect(produced.errorCode == .none)
        let member = try await RawMember(port: try #require(server.localPort))
        try await member.subscribe(
            group: "workers",
            topics: ["t"],
            settings: GroupAckDiskFullTests.settings,
            credits: 100
        )
        return member
    }

    static func value(_ index: Int) -> String { "job \(index) " + String(repeating: "x", count: 400) }

    /// `letters` are the dead letters of `offsets`, each once (in the order they were written,
    /// which retries may change), each with its message's value.
    static func expectOnce(_ letters: [ConsumerRecord], offsets: ClosedRange<Int64>) {
        let sources = letters.compactMap { ScheduleTestSupport.header(DeadLetterWriter.Header.offset, of: $0) }
        #expect(sources.sorted { Int($0)! < Int($1)! } == offsets.map { "\($0)" }, "each dead letter once: \(sources)")
        for letter in letters {
            let source = ScheduleTestSupport.header(DeadLetterWriter.Header.offset, of: letter).flatMap { Int($0) }
            #expect(
                letter.valueString == source.map(value),
                "the dead letter of offset \(source ?? -1) holds its value"
            )
        }
    }
}
