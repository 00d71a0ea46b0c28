import BrokerProtocol
import NIOCore
import RecordCodec
import Synchronization
import Testing

@testable import BrokerClient

/// Every wait of the producer ends: by its result, by an error that says what is missing, or by
/// cancellation (as `CancellationError`).
@Suite struct ProducerHangTests {
    private func configuration(linger: Duration = .seconds(600)) -> ProducerConfiguration {
        var configuration = ProducerConfiguration()
        configuration.linger = linger
        configuration.retryBackoff = .milliseconds(1)
        return configuration
    }

    @Test func aSendWithoutRunFailsSayingRunIsMissing() async throws {
        var configuration = configuration()
        configuration.startTimeout = .milliseconds(50)
        let producer = Producer(transport: FakeTransport(topics: ["t": 1]), configuration: configuration)
        let outcome = await boundedWait {
            try await producer.send(topic: "t", value: ByteBuffer(string: "x"))
        }
        guard case .threw(let error as ClientError) = outcome else {
            Issue.record("send without run() did not fail with a ClientError: \(outcome)")
            return
        }
        #expect(error.code == .notRunning)
        #expect(error.message.contains("call run() or use withProducer"))
    }

    @Test func aFlushWithoutRunFailsSayingRunIsMissing() async throws {
        var configuration = configuration()
        configuration.startTimeout = .milliseconds(50)
        let producer = Producer(transport: FakeTransport(topics: ["t": 1]), configuration: configuration)
        _ = try await producer.enqueue(topic: "t", value: ByteBuffer(string: "x"))
        let outcome = await boundedWait { try await producer.flush() }
        guard case .threw(let error as ClientError) = outcome else {
            Issue.record("flush without run() did not fail with a ClientError: \(outcome)")
            return
        }
        #expect(error.code == .notRunning)
    }

    @Test func closeReleasesASendOnAProducerThatNeverRan() async throws {
        let producer = Producer(transport: FakeTransport(topics: ["t": 1]), configuration: configuration())
        let send = Task { try await producer.send(topic: "t", value: ByteBuffer(string: "x")) }
        // The record is accepted (enqueue returned) once it is counted in the buffer.
        while await producer.bufferedBytes == 0 { await Task.yield() }
        await producer.close()
        let outcome = await boundedWait { try await send.value }
        guard case .threw(let error as ClientError) = outcome else {
            Issue.record("close() did not release the send: \(outcome)")
            return
        }
        #expect(error.code == .notRunning)
    }

    @Test func cancellingASendWaitingForItsAcknowledgementThrowsCancellationError() async throws {
        let transport = FakeTransport(topics: ["t": 1])
        try await Producer.withProducer(transport: transport, configuration: configuration()) { producer in
            // The linger is ten minutes: the send waits for its batch.
            let send = Task { try await producer.send(topic: "t", value: ByteBuffer(string: "x")) }
            while await producer.bufferedBytes == 0 { await Task.yield() }
            send.cancel()
            let outcome = await boundedWait { try await send.value }
            guard case .threw(let error) = outcome else {
                Issue.record("the cancelled send did not end with an error: \(outcome)")
                return
            }
            #expect(error is CancellationError)
        }
        // Cancelling the wait does not withdraw the record: close() sent it.
        #expect(transport.produceRequests.count == 1)
    }

    @Test func cancellingASendWaitingForBufferSpaceThrowsCancellationError() async throws {
        var configuration = configuration()
        configuration.maxBufferedBytes = 100
        let transport = FakeTransport(topics: ["t": 1])
        try await Producer.withProducer(transport: transport, configuration: configuration) { producer in
            _ = try await producer.enqueue(topic: "t", value: ByteBuffer(repeating: 1, count: 90))
            // This record does not fit until the first batch is sent (ten minutes from now).
            let blocked = Task { try await producer.enqueue(topic: "t", value: ByteBuffer(repeating: 2, count: 90)) }
            while await producer.spaceWaiterCount == 0 { await Task.yield() }
            blocked.cancel()
            let outcome = await boundedWait { try await blocked.value }
            guard case .threw(let error) = outcome else {
                Issue.record("the cancelled enqueue did not end with an error: \(outcome)")
                return
            }
            #expect(error is CancellationError)
            // The cancelled record left the queue and took no space.
            #expect(await producer.spaceWaiterCount == 0)
            #expect(await producer.bufferedBytes == 120)
        }
        // close() sent the first record alone.
        #expect(
            try transport.produceRequests.map { try RecordBatch(validating: $0.partitions[0].records).recordCount } == [
                1
            ]
        )
    }

    @Test func cancellingAPartitionLookupThrowsCancellationError() async throws {
        let transport = StallingListTransport()
        let producer = Producer(transport: transport, configuration: configuration())
        // The first lookup stalls (the broker does not answer); the second waits for the first.
        let first = Task { try await producer.enqueue(topic: "t", value: nil) }
        while transport.listRequests == 0 { await Task.yield() }
        let second = Task { try await producer.enqueue(topic: "t", value: nil) }
        while await producer.metadataWaiterCount == 0 { await Task.yield() }
        second.cancel()
        let secondOutcome = await boundedWait { try await second.value }
        first.cancel()
        let firstOutcome = await boundedWait { try await first.value }
        for outcome in [secondOutcome, firstOutcome] {
            guard case .threw(let error) = outcome else {
                Issue.record("the cancelled lookup did not end with an error: \(outcome)")
                continue
            }
            #expect(error is CancellationError)
        }
    }
}

/// A transport whose list-topics requests never get an answer (until cancelled).
final class StallingListTransport: BrokerTransport {
    private let count = Mutex(0)

    var listRequests: Int { count.withLock { $0 } }

    var maxFrameBytes: Int? { get async { 1 << 20 } }

    func send<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as response: Response.Type,
        timeout: Duration?
    ) async throws -> Response {
        count.withLock { $0 += 1 }
        try await Task.sleep(for: .seconds(3600))
        throw ClientError(.timedOut, "no answer")
    }

    func sendWithoutResponse<Request: WireMessage>(_ request: Request) async throws {}
}
