import Broker
import BrokerProtocol
import Foundation
import Testing

/// What the stateful fuzzer found, each pinned by the smallest sequence that shows it.
@Suite struct StatefulFuzzFindingsTests {
    /// Seed 400 sent `credit` 4,294,967,295 to a member: PROTOCOL.md §5.13 said the total saturates
    /// at 4,294,967,295, the broker answered `limitExceeded` (a member holds at most `maxCredits`,
    /// 1,000,000), while `subscribe` silently lowers `initialCredits` to the same limit. The documents
    /// now say what the broker does; this pins it at the edge.
    @Test func creditsStopAtMaxCreditsAndInitialCreditsAreLowered() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            _ = try await connection.call(
                CreateTopicRequest(topic: "jobs", partitionCount: 1),
                as: CreateTopicResponse.self
            )
            let subscribed = try await connection.call(
                SubscribeRequest(group: "workers", topics: ["jobs"], initialCredits: .max),
                as: SubscribeResponse.self
            )
            func credits() async throws -> UInt32? {
                let described = try await connection.call(
                    DescribeGroupRequest(group: "workers"),
                    as: DescribeGroupResponse.self
                )
                return described.members.first?.credits
            }
            // initialCredits above maxCredits: taken as maxCredits.
            #expect(try await credits() == 1_000_000)
            // One more credit: refused, nothing added, the connection and subscription carry on.
            try await connection.send(
                CreditRequest(subscriptionID: subscribed.subscriptionID, credits: 1),
                correlationID: 9
            )
            let refused = try await connection.response(9)
            #expect(refused.errorCode == .limitExceeded)
            var body = refused.body
            #expect(try body.readWireString().contains("maxCredits"))
            try await connection.send(
                CreditRequest(subscriptionID: subscribed.subscriptionID, credits: .max),
                correlationID: 10
            )
            #expect(try await connection.response(10).errorCode == .limitExceeded)
            #expect(try await credits() == 1_000_000)
            _ = try await connection.call(
                CreditRequest(subscriptionID: subscribed.subscriptionID, credits: 0),
                as: CreditResponse.self
            )

            // A member below the limit may reach it exactly.
            let second = try await TestConnection(port: port)
            let other = try await second.call(
                SubscribeRequest(group: "others", topics: ["jobs"], initialCredits: 999_999),
                as: SubscribeResponse.self
            )
            _ = try await second.call(
                CreditRequest(subscriptionID: other.subscriptionID, credits: 1),
                as: CreditResponse.self
            )
            try await second.send(CreditRequest(subscriptionID: other.subscriptionID, credits: 1), correlationID: 11)
            #expect(try await second.response(11).errorCode == .limitExceeded)
        }
    }

    /// PROTOCOL.md §5.16: a nack's `delayMs` is -1 or 0 ... 86,400,000, anything else fails the
    /// entry with `invalidRequest`. The broker took any value: a negative one as 0, and
    /// `Int64.max` parked the message until the end of time, holding its place in the window.
    @Test(arguments: [Int64.max, 86_400_001, -2, Int64.min])
    func nackDelaysOutsideTheirRangeFailTheEntry(delay: Int64) async throws {
        try await withBroker { _, port in
            let producer = try await TestConnection(port: port)
            _ = try await producer.call(
                CreateTopicRequest(topic: "jobs", partitionCount: 1),
                as: CreateTopicResponse.self
            )
            _ = try await producer.call(
                ProduceRequest(
                    acks: .durable,
                    topic: "jobs",
                    partitions: [.init(partition: 0, records: batchBytes(["a"]))]
                ),
                as: ProduceResponse.self
            )
            let member = try await RawMember(port: port)
            try await member.subscribe(group: "workers", topics: ["jobs"], credits: 10)
            let first = try #require(try await member.nextPush().first)
            let refused = try await member.connection.call(
                NackRequest(
                    subscriptionID: member.subscriptionID,
                    entries: [
                        .init(topic: "jobs", partition: 0, offset: first.offset, delayMilliseconds: delay, reason: nil)
                    ]
                ),
                as: NackResponse.self
            )
            #expect(refused.entries.map(\.errorCode) == [.invalidRequest])
            #expect(refused.entries.first?.errorMessage?.contains("delayMs \(delay)") == true)
            // Nothing changed: the message is still in flight for the member, which may nack it properly.
            let taken = try await member.connection.call(
                NackRequest(
                    subscriptionID: member.subscriptionID,
                    entries: [
                        .init(topic: "jobs", partition: 0, offset: first.offset, delayMilliseconds: 0, reason: nil)
                    ]
                ),
                as: NackResponse.self
            )
            #expect(taken.entries.map(\.errorCode) == [ErrorCode.none])
            let again = try #require(try await member.nextPush().first)
            #expect(again.offset == first.offset && again.deliveryCount == 2)
        }
    }
}
