import BrokerProtocol
import Testing

@testable import Broker

extension BrokerServer {
    /// Waits (at most 60 s) until `count` long-polling fetches are parked on the partition, waiting
    /// for its next append: a test that appends or shuts down "while a fetch waits" then does.
    func waitForParkedFetches(_ topic: String, partition: Int32 = 0, count: Int = 1) async throws {
        let log = try #require(topicRegistry?.topic(named: topic)?.partition(partition))
        try await pollUntil("\(count) fetches wait on \(topic)/\(partition)") {
            try await log.waitingFetchCount().get() >= count
        }
        try #require(try await log.waitingFetchCount().get() == count, "\(count) fetches wait on \(topic)/\(partition)")
    }
}

extension TestConnection {
    /// Sends a fetch of `topic`'s partition 0 from offset 0 (1 MiB) that may wait
    /// `maxWaitMilliseconds` for data; its answer is `response(correlationID)`.
    func sendLongPoll(_ topic: String, maxWaitMilliseconds: UInt32, correlationID: UInt32) async throws {
        try await send(
            FetchRequest(
                maxWaitMilliseconds: maxWaitMilliseconds,
                maxBytes: 1 << 20,
                topics: [.init(topic: topic, partitions: [.init(partition: 0, offset: 0, maxBytes: 1 << 20)])]
            ),
            correlationID: correlationID
        )
    }
}
