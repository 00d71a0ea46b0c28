import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct KafkaInitProducerIDCodecTests {
    @Test(arguments: supportedVersions(.initProducerID))
    func roundTrips(version: Int16) throws {
        let extract: (KafkaRequest.Body) -> KafkaInitProducerIDRequest? = {
            if case .initProducerID(let r) = $0 { r } else { nil }
        }
        try checkRequest(KafkaInitProducerIDRequest(transactionTimeoutMs: 60_000), version: version, extract: extract)
        try checkRequest(
            KafkaInitProducerIDRequest(transactionalID: "tx", transactionTimeoutMs: 1),
            version: version,
            extract: extract
        )
        try checkResponse(KafkaInitProducerIDResponse(producerID: 1_000_001, producerEpoch: 0), version: version)
        try checkResponse(
            KafkaInitProducerIDResponse(
                throttleTimeMs: 1,
                errorCode: .invalidRequest,
                producerID: -1,
                producerEpoch: -1
            ),
            version: version
        )
    }

    @Test func goldenBytes() {
        var request = ByteBuffer()
        KafkaInitProducerIDRequest(transactionTimeoutMs: 60_000).encode(into: &request, version: 0)
        #expect(bytes(request) == [0xFF, 0xFF, 0x00, 0x00, 0xEA, 0x60])
        var response = ByteBuffer()
        KafkaInitProducerIDResponse(producerID: 5, producerEpoch: 1).encode(into: &response, version: 1)
        #expect(bytes(response) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 1])
    }

    @Test func hostileInputThrows() {
        let error = bodyDecodingError(KafkaInitProducerIDRequest.self, version: 0, [0x7F, 0xFF, 0x61, 0, 0, 0, 0])
        #expect(error?.field == "InitProducerIdRequest.TransactionalId")
        #expect(bodyDecodingError(KafkaInitProducerIDRequest.self, version: 2, [])?.code == .invalidValue)
    }
}
