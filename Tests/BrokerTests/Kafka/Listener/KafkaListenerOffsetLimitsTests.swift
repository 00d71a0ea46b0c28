import Foundation
import KafkaProtocol
import Testing

@testable import Broker

/// The committed offsets' limits through the Kafka listener (`KafkaListenerConfiguration.offsets`,
/// `brokerd --kafka-max-offset-groups`, ...), at their edges: a commit up to each limit is stored,
/// one past it is refused with Kafka's code for it and stores nothing.
@Suite struct KafkaListenerOffsetLimitsTests {
    /// A simple consumer's commit (no generation, no member) of `offsets` on topic `t`.
    private static func commit(
        _ connection: KafkaTestConnection,
        group: String,
        _ offsets: [(partition: Int32, offset: Int64, metadata: String?)]
    ) async throws -> [KafkaErrorCode] {
        let answer = try await connection.call(
            KafkaOffsetCommitRequest(
                groupID: group,
                topics: [
                    .init(
                        name: "t",
                        partitions: offsets.map {
                            .init(
                                partitionIndex: $0.partition,
                                committedOffset: $0.offset,
                                committedMetadata: $0.metadata
                            )
                        }
                    )
                ]
            ),
            version: 7,
            as: KafkaOffsetCommitResponse.self
        )
        return answer.topics.flatMap(\.partitions).map(\.errorCode)
    }

    /// The offsets `group` has committed on partitions 0-2 of `t` (-1: none).
    private static func committed(_ connection: KafkaTestConnection, group: String) async throws -> [Int64] {
        let answer = try await connection.call(
            KafkaOffsetFetchRequest(groupID: group, topics: [.init(name: "t", partitionIndexes: [0, 1, 2])]),
            version: 5,
            as: KafkaOffsetFetchResponse.self
        )
        return answer.topics.flatMap(\.partitions).map(\.committedOffset)
    }

    @Test func groupsPartitionsAndMetadataAreBoundedAtTheConfiguredLimits() async throws {
        try await withKafkaBroker({
            $0.kafkaListener?.offsets.maxGroups = 1
            $0.kafkaListener?.offsets.maxCommittedPartitionsPerGroup = 2
            $0.kafkaListener?.offsets.maxMetadataBytes = 8
        }) { _, nativePort, kafkaPort in
            try await createTopic("t", partitions: 3, nativePort: nativePort)
            let connection = try await KafkaTestConnection(port: kafkaPort)
            // Two partitions with 8 bytes of metadata: stored; the third partition is one too many.
            #expect(
                try await Self.commit(connection, group: "a", [(0, 5, "12345678"), (1, 6, nil)]) == [.none, .none]
            )
            #expect(try await Self.commit(connection, group: "a", [(2, 7, nil)]) == [.invalidCommitOffsetSize])
            // 9 bytes of metadata: too large; the partitions it has are still updated.
            #expect(try await Self.commit(connection, group: "a", [(0, 8, "123456789")]) == [.offsetMetadataTooLarge])
            #expect(try await Self.commit(connection, group: "a", [(1, 9, nil)]) == [.none])
            #expect(try await Self.committed(connection, group: "a") == [5, 9, -1])
            // A second group is one too many: refused on every partition, nothing stored.
            #expect(try await Self.commit(connection, group: "b", [(0, 1, nil)]) == [.invalidCommitOffsetSize])
            #expect(try await Self.committed(connection, group: "b") == [-1, -1, -1])
        }
    }

    @Test func limitsOutOfTheirRangesStopTheStart() async throws {
        let directory = NSTemporaryDirectory() + "sluice-offset-limits-" + UUID().uuidString
        var configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        configuration.kafkaListener = KafkaListenerConfiguration(host: "127.0.0.1", port: 0)
        configuration.kafkaListener?.offsets.maxMetadataBytes = KafkaOffsetLimits.maxMetadataBytesRange.upperBound + 1
        let server = BrokerServer(configuration: configuration)
        await #expect {
            try await server.start()
        } throws: {
            "\($0)".contains("maxMetadataBytes 32769 is outside")
        }
        try? await server.shutdown()
        // Refused before anything was touched: no data directory.
        #expect(!FileManager.default.fileExists(atPath: directory))
    }
}
