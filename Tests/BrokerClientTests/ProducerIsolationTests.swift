import NIOCore
import Testing

@testable import BrokerClient

/// `withProducer` runs its body on the caller's actor: an actor keeps its state in the body under
/// Swift 6's checks (this file does not compile without the `isolation` parameter).
@Suite struct ProducerIsolationTests {
    actor Outbox {
        var sent: [RecordMetadata] = []

        func send(_ values: [String], through transport: any BrokerTransport) async throws {
            var configuration = ProducerConfiguration()
            configuration.linger = .zero
            try await Producer.withProducer(transport: transport, configuration: configuration) { producer in
                for value in values {
                    sent.append(try await producer.send(topic: "t", value: ByteBuffer(string: value)))
                }
            }
        }
    }

    @Test func anActorCallsWithProducerAndKeepsItsStateInTheBody() async throws {
        let outbox = Outbox()
        try await outbox.send(["a", "b"], through: FakeTransport(topics: ["t": 1]))
        #expect(await outbox.sent.map(\.offset) == [0, 1])
    }
}
