import Testing

@testable import Broker

extension BrokerServer {
    /// Waits (at most 60 s) until `count` long-polling fetches are parked on the partition, waiting
    /// for its next append: a test that appends or shuts down "while a fetch waits" then does.
    func waitForParkedFetches(_ topic: String, partition: Int32 = 0, count: Int = 1) async throws {
        let log = try #require(topicRegistry?.topic(named: topic)?.partition(partition))
        for _ in 0..<6000 where try await log.waitingFetchCount().get() < count {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(try await log.waitingFetchCount().get() == count, "\(count) fetches wait on \(topic)/\(partition)")
    }
}
