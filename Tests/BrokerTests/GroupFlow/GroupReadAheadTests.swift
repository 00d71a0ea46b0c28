import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// A read from the log may hold more records than a group's window has room for: the runtime
/// keeps the rest and feeds it as messages finish, instead of reading and decoding it again. These
/// check over the wire that nothing is skipped or delivered twice on the way, and that a reset
/// does not feed what was read before it.
@Suite struct GroupReadAheadTests {
    /// Produces `count` records with distinct keys in ONE batch to partition 0 of `topic`.
    private func produceOneBatch(port: Int, topic: String, count: Int) async throws {
        try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
            try await Admin(transport: connection).createTopicIfMissing(topic, partitions: 1)
            let records = (0..<count).map { index in
                Record(
                    key: ByteBuffer(string: "key-\(index)"),
                    value: ByteBuffer(string: "job \(index)"),
                    timestamp: currentTimeMilliseconds()
                )
            }
            let response = try await connection.send(
                ProduceRequest(
                    acks: .written,
                    topic: topic,
                    partitions: [.init(partition: 0, records: RecordBatch(records: records).buffer)]
                ),
                as: ProduceResponse.self
            )
            #expect(response.partitions.allSatisfy { $0.errorCode == .none })
        }
    }

    private func windowOf(_ size: Int32) -> RequestedGroupSettings {
        var settings = RequestedGroupSettings()
        settings.maxUnfinishedPerPartition = size
        return settings
    }

    @Test func recordsBeyondTheWindowAreDeliveredOnceEachInOrder() async throws {
        try await withBroker { _, port in
            try await produceOneBatch(port: port, topic: "jobs", count: 30)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], settings: windowOf(3), credits: 100)
            var delivered: [Int64] = []
            while delivered.count < 30 {
                let push = try await member.nextPush()
                #expect(push.count <= 3, "the window holds 3: \(push)")
                #expect(push.allSatisfy { $0.deliveryCount == 1 })
                delivered += push.map(\.offset)
                let acked = try await member.ack("jobs", push)
                #expect(acked.entries.allSatisfy { $0.errorCode == .none }, "\(acked)")
            }
            #expect(delivered == Array(0..<30))
            try await Task.sleep(for: .milliseconds(200))
            #expect(!member.hasPendingPush)
        }
    }

    @Test func aReadWithMoreRecordsThanAreKeptIsReadAgainAfterTheLastOneKept() async throws {
        // One read holds all 8,400 records; the window takes 100 and at most maxReadAheadEntries
        // (8,192) more are kept: the last ones must be read again, none skipped or repeated.
        let count = GroupRuntime.maxReadAheadEntries + 208
        try await withBroker { _, port in
            try await produceOneBatch(port: port, topic: "jobs", count: count)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], settings: windowOf(100), credits: 1000)
            var delivered: [Int64] = []
            while delivered.count < count {
                let push = try await member.nextPush()
                delivered += push.map(\.offset)
                _ = try await member.ack("jobs", push)
                try await member.credit(UInt32(push.count))
            }
            let firstWrong = zip(delivered, 0..<Int64(count)).first { $0 != $1 }
            #expect(
                delivered.count == count && firstWrong == nil,
                "\(delivered.count) delivered; first wrong \(firstWrong as Any)"
            )
        }
    }

    @Test func aResetForgetsWhatWasReadAheadBeforeIt() async throws {
        try await withBroker { _, port in
            try await produceOneBatch(port: port, topic: "jobs", count: 10)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], settings: windowOf(2), credits: 100)
            // Offsets 0-3 acknowledged, 4 and 5 held: 6-9 were read with them and wait.
            var delivered: [RawMember.Delivered] = []
            while delivered.count < 6 {
                let push = try await member.nextPush()
                delivered += push
                if delivered.count <= 4 { _ = try await member.ack("jobs", push) }
            }
            #expect(delivered.map(\.offset) == Array(0..<6))
            _ = try await member.connection.call(
                LeaveRequest(subscriptionID: member.subscriptionID),
                as: LeaveResponse.self,
                correlationID: 99
            )
            let admin = try await TestConnection(port: port)
            let reset = try await admin.call(
                ResetGroupRequest(group: "workers", topic: "jobs", to: .earliest),
                as: ResetGroupResponse.self
            )
            #expect(reset.partitions.map(\.offset) == [0])
            // Everything again from offset 0, none taken for finished.
            let again = try await RawMember(port: port)
            try await again.subscribe(group: "workers", topics: ["jobs"], credits: 100)
            var redelivered: [Int64] = []
            while redelivered.count < 10 {
                let push = try await again.nextPush()
                redelivered += push.map(\.offset)
                _ = try await again.ack("jobs", push)
            }
            #expect(redelivered == Array(0..<10))
        }
    }
}
