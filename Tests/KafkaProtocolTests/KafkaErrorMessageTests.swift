import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaErrorMessageTests {
    @Test func overlongErrorMessagesAreCutToFitAKafkaString() throws {
        // A broker message quoting client input can exceed the 32,767 bytes of a STRING.
        let long = String(repeating: "é", count: 20_000) + "end"
        let response = KafkaProduceResponse(
            topics: [
                .init(
                    name: "t",
                    partitions: [
                        .init(
                            partitionIndex: 0,
                            errorCode: .invalidRecord,
                            baseOffset: -1,
                            recordErrors: [.init(batchIndex: 0, message: long)],
                            errorMessage: long
                        )
                    ]
                )
            ]
        )
        var encoded = ByteBuffer()
        response.encode(into: &encoded, version: 8)
        var reader = KafkaReader(encoded)
        let decoded = try KafkaProduceResponse(from: &reader, version: 8)
        let partition = decoded.topics[0].partitions[0]
        for message in [partition.errorMessage, partition.recordErrors[0].message] {
            let cut = try #require(message)
            #expect(cut.utf8.count <= 32_767)
            #expect(cut.utf8.count > 32_700)
            #expect(cut.hasSuffix("…"))
            #expect(cut.hasPrefix("éé"))
        }
        #expect("short".truncatedForKafka == "short")
        let exact = String(repeating: "a", count: 32_767)
        #expect(exact.truncatedForKafka == exact)

    }
}
