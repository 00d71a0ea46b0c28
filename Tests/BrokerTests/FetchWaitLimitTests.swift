import BrokerProtocol
import Testing

@testable import Broker

/// `BrokerLimits.maxFetchWaitMilliseconds` (`brokerd --max-fetch-wait-ms`) at its edge: a long poll
/// asking for longer than the limit is answered once the limit has passed, with no data.
@Suite("the fetch wait limit")
struct FetchWaitLimitTests {
    @Test("a fetch asking to wait 10 minutes on an idle partition is answered after the 200 ms limit")
    func longPollIsCutToTheLimit() async throws {
        try await withBroker({ $0.limits.maxFetchWaitMilliseconds = 200 }) { server, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "idle", partitions: 1)
            try await connection.sendLongPoll("idle", maxWaitMilliseconds: 600_000, correlationID: 9)
            // Not a timing assertion: without the limit the answer would come after 10 minutes,
            // far past this bound; with it, after 200 ms.
            let frame = try await connection.response(9, timeoutSeconds: 120)
            #expect(frame.errorCode == .none)
            let partition = try #require(try FetchResponse.decode(frame.body).topics.first?.partitions.first)
            #expect(partition.errorCode == .none)
            #expect(partition.records.readableBytes == 0)
            // The timer that answered it left nothing parked on the partition.
            let idle = try #require(server.topicRegistry?.topic(named: "idle")?.partition(0))
            #expect(try await idle.waitingFetchCount().get() == 0, "no fetch is left waiting")
        }
    }
}
