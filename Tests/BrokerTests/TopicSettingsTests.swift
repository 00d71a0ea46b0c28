import Broker
import BrokerProtocol
import Testing

@Suite("Topic settings a client may ask for")
struct TopicSettingsTests {
    @Test("segment sizes below the minimum are refused; the minimum itself is accepted")
    func minimumSegmentBytes() async throws {
        try await withBroker { _, port in
            let connection = try await TestConnection(port: port)
            for segmentBytes: Int64 in [1024, (1 << 20) - 1, 0, -3] {
                let response = try await connection.call(
                    CreateTopicRequest(
                        topic: "tiny-\(abs(segmentBytes))",
                        partitionCount: 1,
                        segmentBytes: segmentBytes
                    ),
                    as: CreateTopicResponse.self
                )
                #expect(response.result.errorCode == .invalidTopicConfiguration)
                #expect(response.result.errorMessage?.contains("1048576-") == true, "\(response.result)")
            }
            let accepted = try await connection.call(
                CreateTopicRequest(topic: "small", partitionCount: 1, segmentBytes: 1 << 20),
                as: CreateTopicResponse.self
            )
            #expect(accepted.result.errorCode == .none)
        }
    }
}
