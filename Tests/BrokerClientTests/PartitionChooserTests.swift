import BrokerProtocol
import NIOCore
import Testing

@testable import BrokerClient

@Suite struct PartitionChooserTests {
    @Test func anExplicitPartitionWins() {
        #expect(
            PartitionChooser.partition(
                explicit: 3,
                key: ByteBuffer(string: "k"),
                messageID: ByteBuffer(string: "m"),
                partitionCount: 8
            )
                == 3
        )
    }

    @Test(arguments: ["a", "order-1", "customer:42", ""])
    func keyedRecordsUseKafkasPartitioner(key: String) {
        let expected = Partitioner.partition(forKey: Array(key.utf8), partitionCount: 12)
        #expect(
            PartitionChooser.partition(
                explicit: nil,
                key: ByteBuffer(string: key),
                messageID: ByteBuffer(string: "other"),
                partitionCount: 12
            )
                == expected
        )
    }

    @Test func recordsWithAMessageIDButNoKeyUseTheMessageID() {
        // Kafka's test vector: murmur2("21") = -973932308, so partition (x & 0x7fffffff) % 16.
        #expect(Partitioner.murmur2(Array("21".utf8)) == -973_932_308)
        let expected = Int32((UInt32(bitPattern: -973_932_308) & 0x7fff_ffff) % 16)
        let id = ByteBuffer(string: "21")
        #expect(PartitionChooser.partition(explicit: nil, key: nil, messageID: id, partitionCount: 16) == expected)
    }

    @Test func otherRecordsAreLeftToRoundRobin() {
        #expect(PartitionChooser.partition(explicit: nil, key: nil, messageID: nil, partitionCount: 4) == nil)
    }
}
