import BrokerProtocol
import Testing

@testable import Broker

/// The limits of Sluice's own consumer groups at their edges (docs/OPERATIONS.md, "Limits"):
/// `maxSubscriptionsPerConnection`, `maxMembersPerGroup` and `maxGroups`. At the limit a subscribe
/// is answered `limitExceeded` naming it, nothing else changes, and room made below it is taken.
@Suite("consumer group limits")
struct GroupLimitsTests {
    /// Whether `error` is a `limitExceeded` answer whose message names `limit`.
    static func isLimit(_ error: any Error, _ limit: String) -> Bool {
        let text = "\(error)"
        return text.contains("limit exceeded") && text.contains(limit)
    }

    @Test("a connection holds maxSubscriptionsPerConnection subscriptions; one more is refused, one left makes room")
    func subscriptionsPerConnection() async throws {
        try await withBroker({ $0.limits.maxSubscriptionsPerConnection = 2 }) { _, port in
            let member = try await RawMember(port: port)
            try await ProduceFetchTests.create(member.connection, "jobs", partitions: 1)
            try await member.subscribe(group: "a", topics: ["jobs"])
            let second = try await member.subscribe(group: "b", topics: ["jobs"])
            await #expect { try await member.subscribe(group: "c", topics: ["jobs"]) } throws: {
                Self.isLimit($0, "maxSubscriptionsPerConnection")
            }
            // The refused subscribe created nothing, and another connection is not limited by this one.
            let other = try await RawMember(port: port)
            #expect(try await other.subscribe(group: "c", topics: ["jobs"]).created)
            _ = try await member.connection.call(
                LeaveRequest(subscriptionID: second.subscriptionID),
                as: LeaveResponse.self,
                correlationID: 100
            )
            #expect(try await !member.subscribe(group: "c", topics: ["jobs"]).created)
        }
    }

    @Test("a group holds maxMembersPerGroup members; one more is refused, a member that leaves makes room")
    func membersPerGroup() async throws {
        try await withBroker({ $0.limits.maxMembersPerGroup = 2 }) { _, port in
            let first = try await RawMember(port: port)
            try await ProduceFetchTests.create(first.connection, "jobs", partitions: 1)
            try await first.subscribe(group: "workers", topics: ["jobs"])
            let second = try await RawMember(port: port)
            try await second.subscribe(group: "workers", topics: ["jobs"])
            let third = try await RawMember(port: port)
            await #expect { try await third.subscribe(group: "workers", topics: ["jobs"]) } throws: {
                Self.isLimit($0, "maxMembersPerGroup")
            }
            // Other groups are not limited by this one.
            #expect(try await third.subscribe(group: "others", topics: ["jobs"]).created)
            _ = try await second.connection.call(
                LeaveRequest(subscriptionID: second.subscriptionID),
                as: LeaveResponse.self,
                correlationID: 100
            )
            #expect(try await !third.subscribe(group: "workers", topics: ["jobs"]).created)
        }
    }

    @Test("a member holds maxCreditsPerMember credits: up to it is taken, one more refused, a larger initial grant cut")
    func creditsPerMember() async throws {
        try await withBroker({ $0.limits.maxCreditsPerMember = 10 }) { _, port in
            let member = try await RawMember(port: port)
            // No messages: nothing uses the credits up while they are counted.
            try await ProduceFetchTests.create(member.connection, "jobs", partitions: 1)
            let subscribed = try await member.subscribe(group: "a", topics: ["jobs"], credits: 4)
            func credit(_ count: UInt32, _ correlationID: UInt32) async throws -> ResponseFrame {
                try await member.connection.send(
                    CreditRequest(subscriptionID: subscribed.subscriptionID, credits: count),
                    correlationID: correlationID
                )
                return try await member.connection.response(correlationID)
            }
            #expect(try await credit(6, 200).errorCode == .none)
            let refused = try await credit(1, 201)
            #expect(refused.errorCode == .limitExceeded)
            var body = refused.body
            #expect(try body.readWireString().contains("at most 10 credits (maxCreditsPerMember); it has 10"))
            func credits() async throws -> [UInt32] {
                try await member.connection.call(
                    DescribeGroupRequest(group: "a"),
                    as: DescribeGroupResponse.self,
                    correlationID: 202
                ).members.map(\.credits)
            }
            #expect(try await credits() == [10])
            // A larger initial grant is taken as the limit.
            let other = try await RawMember(port: port)
            try await other.subscribe(group: "a", topics: ["jobs"], credits: 50)
            #expect(try await credits().sorted() == [10, 10])
        }
    }

    @Test(
        "the broker holds maxGroups groups; a new one is refused, existing ones still take members, a deleted one makes room"
    )
    func groupsPerBroker() async throws {
        try await withBroker({ $0.limits.maxGroups = 2 }) { _, port in
            let member = try await RawMember(port: port)
            try await ProduceFetchTests.create(member.connection, "jobs", partitions: 1)
            let first = try await member.subscribe(group: "a", topics: ["jobs"])
            try await member.subscribe(group: "b", topics: ["jobs"])
            await #expect { try await member.subscribe(group: "c", topics: ["jobs"]) } throws: {
                Self.isLimit($0, "maxGroups")
            }
            let again = try await RawMember(port: port)
            #expect(try await !again.subscribe(group: "a", topics: ["jobs"]).created)
            // A group is deleted once it has no members.
            _ = try await member.connection.call(
                LeaveRequest(subscriptionID: first.subscriptionID),
                as: LeaveResponse.self,
                correlationID: 100
            )
            _ = try await again.connection.call(
                LeaveRequest(subscriptionID: again.subscriptionID),
                as: LeaveResponse.self,
                correlationID: 101
            )
            _ = try await again.connection.call(
                DeleteGroupRequest(group: "a"),
                as: DeleteGroupResponse.self,
                correlationID: 102
            )
            #expect(try await member.subscribe(group: "c", topics: ["jobs"]).created)
        }
    }
}
