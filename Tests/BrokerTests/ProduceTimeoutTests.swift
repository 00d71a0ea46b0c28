import BrokerProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import Broker

/// `timeoutMilliseconds` of a durable produce: the answer is `requestTimedOut` for every entry when
/// the flush has not completed in time.
@Suite("produce timeoutMilliseconds")
struct ProduceTimeoutTests {
    static let request = ProduceRequest(
        acks: .durable,
        timeoutMilliseconds: 500,
        topic: "t",
        partitions: [.init(partition: 0, records: ByteBuffer()), .init(partition: 1, records: ByteBuffer())]
    )

    @Test("a produce not durable within its timeout is answered requestTimedOut; the late result is dropped")
    func timesOut() throws {
        let loop = EmbeddedEventLoop()
        let flush = loop.makePromise(of: ProduceResponse.self)
        let answer = RequestRouter.answer(Self.request, within: .milliseconds(500), flush.futureResult, on: loop)
        let completed = NIOLoopBoundBox(false, eventLoop: loop)
        answer.whenComplete { _ in completed.value = true }
        loop.advanceTime(by: .milliseconds(499))
        #expect(!completed.value)
        loop.advanceTime(by: .milliseconds(1))
        let response = try answer.wait()
        #expect(response.partitions.map(\.errorCode) == [.requestTimedOut, .requestTimedOut])
        #expect(response.partitions.map(\.partition) == [0, 1])
        #expect(response.partitions[0].errorMessage?.contains("may still") == true)
        flush.succeed(ProduceResponse(topic: "t", partitions: []))
    }

    @Test("a produce durable in time is answered normally and the timer is cancelled")
    func inTime() throws {
        let loop = EmbeddedEventLoop()
        let flush = loop.makePromise(of: ProduceResponse.self)
        let answer = RequestRouter.answer(Self.request, within: .milliseconds(500), flush.futureResult, on: loop)
        let done = ProduceResponse(topic: "t", partitions: [.failure(partition: 0, .none, "")])
        flush.succeed(done)
        loop.advanceTime(by: .seconds(1))
        #expect(try answer.wait() == done)
    }
}
