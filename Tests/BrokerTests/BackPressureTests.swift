import BrokerProtocol
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import Broker

/// A client that pipelines fetches and never reads its responses must not grow the broker: the
/// broker counts unwritten response bytes against the connection's in-flight limit, follows the
/// channel's writability and stops reading from that connection.
@Suite("back-pressure from a client that does not read")
struct BackPressureTests {
    static let maxInFlightBytes = 256 << 10
    static let maxFetchBytes = 64 << 10

    static func configure(_ configuration: inout BrokerConfiguration) {
        configuration.limits.maxInFlightBytesPerConnection = maxInFlightBytes
        configuration.limits.maxFetchBytes = maxFetchBytes
        configuration.limits.writeBufferHighWaterMarkBytes = 128 << 10
        configuration.limits.writeBufferLowWaterMarkBytes = 64 << 10
    }

    /// About 1 MB in 10 KB batches.
    static func fill(_ connection: TestConnection, topic: String) async throws {
        _ = try await connection.call(CreateTopicRequest(topic: topic, partitionCount: 1), as: CreateTopicResponse.self)
        let value = String(repeating: "v", count: 1000)
        for _ in 0..<100 {
            let response = try await connection.call(
                ProduceRequest(
                    acks: .written,
                    topic: topic,
                    partitions: [.init(partition: 0, records: batchBytes(Array(repeating: value, count: 10)))]
                ),
                as: ProduceResponse.self
            )
            try #require(response.partitions.first?.errorCode == ErrorCode.none)
        }
    }

    static func fetchFrame(topic: String, correlationID: UInt32) -> ByteBuffer {
        var buffer = ByteBuffer()
        RequestFrame(
            header: RequestHeader(apiKey: .fetch, apiVersion: 0, correlationID: correlationID),
            body: FetchRequest(
                maxWaitMilliseconds: 0,
                maxBytes: UInt32(maxFetchBytes),
                topics: [
                    .init(topic: topic, partitions: [.init(partition: 0, offset: 0, maxBytes: UInt32(maxFetchBytes))])
                ]
            ).encoded()
        ).write(into: &buffer)
        return buffer
    }

    @Test("2,000 pipelined fetches never read: the broker's bytes for the connection stay bounded")
    func pipelinedFetchesNeverRead() async throws {
        try await withBroker(Self.configure) { server, port in
            let other = try await TestConnection(port: port)
            try await Self.fill(other, topic: "data")

            // A raw client that never reads (autoRead off, no read() ever issued).
            let silent = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(ChannelOptions.autoRead, value: false)
                .connect(host: "127.0.0.1", port: port)
                .get()
            var requests = ByteBuffer()
            for id in 1...2000 {
                var frame = Self.fetchFrame(topic: "data", correlationID: UInt32(id))
                requests.writeBuffer(&frame)
            }
            silent.writeAndFlush(requests, promise: nil)
            let silentPort = try #require(silent.localAddress?.port)

            // The bound: the in-flight limit, exceeded at most by one fetch's overshoot of its
            // maxBytes (a fetch returns whole batches; these are 10 KB).
            let bound = Self.maxInFlightBytes + (16 << 10)
            // Wait until the broker has stopped reading from it and has responses it cannot write
            // (or has gone over the bound).
            var load: ConnectionLoad?
            try await waitUntil(timeoutSeconds: 60) {
                load = server.connectionLoad(peerPort: silentPort)
                guard let snapshot = load?.snapshot else { return false }
                return (snapshot.isReadHeld && snapshot.unwrittenBytes > 0) || snapshot.unwrittenBytes > bound
                    || snapshot.peakInFlightBytes > bound
            }
            let held = try #require(load).snapshot
            #expect(held.peakInFlightBytes <= bound, "peak \(held.peakInFlightBytes) bytes in flight, bound \(bound)")
            #expect(held.unwrittenBytes <= bound, "\(held.unwrittenBytes) response bytes not written, bound \(bound)")

            // Other connections are served meanwhile.
            let fetched = try await other.call(
                FetchRequest(
                    maxWaitMilliseconds: 0,
                    maxBytes: 1000,
                    topics: [.init(topic: "data", partitions: [.init(partition: 0, offset: 0, maxBytes: 1000)])]
                ),
                as: FetchResponse.self
            )
            #expect(fetched.topics.first?.partitions.first?.records.readableBytes ?? 0 > 0)
            _ = try await other.call(ListTopicsRequest(), as: ListTopicsResponse.self)

            // Everything is released once the client closes.
            try await silent.close()
            try await waitUntil(timeoutSeconds: 60) {
                let snapshot = load!.snapshot
                return snapshot.isClosed && snapshot.inFlightBytes == 0 && snapshot.queuedBytes == 0
            }
            try await waitUntil { server.openConnections.count == 1 }
        }
    }
}
