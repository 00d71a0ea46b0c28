import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import RecordCodec
import Testing

@testable import Broker

/// A group member speaking the wire protocol directly (from docs/PROTOCOL.md): subscribes, reads
/// `deliver` pushes, acks, nacks, rejects.
final class RawMember {
    let connection: TestConnection
    private(set) var subscriptionID: UInt32 = 0
    private var nextCorrelationID: UInt32 = 1

    struct Delivered: Hashable {
        var partition: Int32
        var offset: Int64
        var deliveryCount: Int32
        var key: String?
        var value: String?
    }

    init(port: Int) async throws {
        connection = try await TestConnection(port: port)
    }

    private func correlationID() -> UInt32 {
        defer { nextCorrelationID += 1 }
        return nextCorrelationID
    }

    @discardableResult
    func subscribe(
        group: String,
        topics: [String],
        startAt: GroupStartPosition = .earliest,
        settings: RequestedGroupSettings = RequestedGroupSettings(),
        credits: UInt32 = 100
    ) async throws -> SubscribeResponse {
        let response = try await connection.call(
            SubscribeRequest(
                group: group,
                topics: topics,
                startAt: startAt,
                settings: settings,
                initialCredits: credits
            ),
            as: SubscribeResponse.self,
            correlationID: correlationID()
        )
        subscriptionID = response.subscriptionID
        return response
    }

    /// The deliveries of the next push (bounded wait), with their records decoded.
    func nextPush(timeoutSeconds: Double = 60) async throws -> [Delivered] {
        let frame = try await connection.response(PushFrame.correlationID, timeoutSeconds: timeoutSeconds)
        let push = try DeliverPush(try PushFrame(frame))
        #expect(push.subscriptionID == subscriptionID)
        var records: [Int64: Record] = [:]
        var bytes = push.records
        while let batch = try RecordBatch.next(from: &bytes) {
            for record in try batch.records() { records[record.offset] = record }
        }
        return try push.deliveries.map { delivery in
            let record = try #require(
                records[delivery.offset],
                "the push holds the record of offset \(delivery.offset)"
            )
            return Delivered(
                partition: push.partition,
                offset: delivery.offset,
                deliveryCount: delivery.deliveryCount,
                key: record.key.map { String(buffer: $0) },
                value: record.value.map { String(buffer: $0) }
            )
        }
    }

    /// Pushes already received, without waiting.
    var hasPendingPush: Bool { connection.pendingFrames.contains { $0.isPush } }

    func ack(_ topic: String, _ delivered: [Delivered]) async throws -> AckResponse {
        let byPartition = Dictionary(grouping: delivered, by: \.partition)
        return try await connection.call(
            AckRequest(
                subscriptionID: subscriptionID,
                entries: byPartition.keys.sorted().map { partition in
                    .init(
                        topic: topic,
                        partition: partition,
                        ranges: byPartition[partition]!.map { $0.offset...$0.offset }
                    )
                }
            ),
            as: AckResponse.self,
            correlationID: correlationID()
        )
    }

    func nack(_ topic: String, _ delivered: Delivered, delay: Int64? = nil, reason: String) async throws -> NackResponse
    {
        try await connection.call(
            NackRequest(
                subscriptionID: subscriptionID,
                entries: [
                    .init(
                        topic: topic,
                        partition: delivered.partition,
                        offset: delivered.offset,
                        delayMilliseconds: delay,
                        reason: reason
                    )
                ]
            ),
            as: NackResponse.self,
            correlationID: correlationID()
        )
    }

    func reject(_ topic: String, _ delivered: Delivered, reason: String) async throws -> RejectResponse {
        try await connection.call(
            RejectRequest(
                subscriptionID: subscriptionID,
                entries: [.init(topic: topic, partition: delivered.partition, offset: delivered.offset, reason: reason)]
            ),
            as: RejectResponse.self,
            correlationID: correlationID()
        )
    }

    func credit(_ credits: UInt32) async throws {
        _ = try await connection.call(
            CreditRequest(subscriptionID: subscriptionID, credits: credits),
            as: CreditResponse.self,
            correlationID: correlationID()
        )
    }
}

/// Produces `count` records with keys `key-(i % keys)` and values `job i` to `topic`.
func produceJobs(port: Int, topic: String, partitions: Int32, count: Int, keys: Int) async throws {
    try await BrokerConnection.withConnection(to: BrokerAddress(host: "127.0.0.1", port: port)) { connection in
        try await Admin(transport: connection).createTopicIfMissing(topic, partitions: partitions)
        try await Producer.withProducer(transport: connection) { producer in
            for index in 0..<count {
                _ = try await producer.enqueue(topic: topic, key: "key-\(index % keys)", value: "job \(index)")
            }
            try await producer.flush()
        }
    }
}

/// Waits (bounded) until `topic` exists and holds at least `count` records, and returns them all.
func readTopic(_ topic: String, port: Int, server: BrokerServer, atLeast count: Int) async throws -> [ConsumerRecord] {
    for _ in 0..<400 {
        if server.topicRegistry?.topic(named: topic) != nil {
            let records = try await readWholeTopic(topic, port: port)
            if records.count >= count { return records }
        }
        try await Task.sleep(for: .milliseconds(25))
    }
    return []
}

private func readWholeTopic(_ topic: String, port: Int) async throws -> [ConsumerRecord] {
    let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
    defer { Task { await connection.close() } }
    var configuration = ConsumerConfiguration()
    configuration.stopsAtEnd = true
    var records: [ConsumerRecord] = []
    for try await record in Consumer(transport: connection, topic: topic, configuration: configuration).records() {
        records.append(record)
    }
    return records
}
