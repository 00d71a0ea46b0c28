import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// The counts `describeGroup` reports, as PROTOCOL.md §5.21 defines them.
@Suite struct GroupDescribeCountTests {
    /// `unfinished` is the window's occupancy: read and not finished, delivered or not (what
    /// `maxUnfinishedPerPartition` bounds); `inFlight` what members hold.
    @Test("describe's unfinished counts the window (read and not finished), inFlight what members hold")
    func unfinishedCountsTheWindow() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 30, keys: 30)
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "idle", topics: ["jobs"], credits: 0)
            try await member.credit(3)
            var push: [RawMember.Delivered] = []
            while push.count < 3 { push += try await member.nextPush() }
            let admin = try await TestConnection(port: port)
            let described = try await admin.call(DescribeGroupRequest(group: "idle"), as: DescribeGroupResponse.self)
            #expect(described.partitions.map(\.inFlight) == [3])
            #expect(described.partitions.map(\.unfinished) == [30], "3 delivered, 27 read and waiting")
        }
    }
}
