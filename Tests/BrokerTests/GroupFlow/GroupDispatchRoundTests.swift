import BrokerClient
import BrokerProtocol
import Foundation
import Testing

@testable import Broker

/// A member with more credits than one push carries (`maxDeliveriesPerPush`, 512) gets every
/// message it has credits for, also when it acknowledges nothing meanwhile.
@Suite struct GroupDispatchRoundTests {
    @Test(
        "a member with 2,000 credits and a window of 2,000 gets 2,000 messages without acknowledging",
        .timeLimit(.minutes(3))
    )
    func moreThanOnePushWithoutAcks() async throws {
        try await withBroker { _, port in
            try await produceJobs(port: port, topic: "jobs", partitions: 1, count: 2000, keys: 2000)
            let member = try await RawMember(port: port)
            try await member.subscribe(
                group: "batching",
                topics: ["jobs"],
                settings: RequestedGroupSettings(ackTimeoutMilliseconds: 600_000, maxUnfinishedPerPartition: 2000),
                credits: 2000
            )
            var delivered = 0
            while delivered < 2000 {
                // A push comes within 30 s (bounded, far below the ack timeout), or the member is stalled.
                delivered += try await member.nextPush(timeoutSeconds: 30).count
            }
            #expect(delivered == 2000)
        }
    }
}
