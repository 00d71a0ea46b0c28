import BrokerProtocol
import NIOCore
import NIOEmbedded
import Testing

@testable import Broker

/// `timeoutMilliseconds` of a durable produce: an entry is answered `requestTimedOut` when its
/// flush has not completed in time after its append.
@Suite("produce timeoutMilliseconds")
struct ProduceTimeoutTests {

    @Test("a produce not durable within its timeout is answered requestTimedOut; the late result is dropped")
    func timesOut() throws {
        let loop = EmbeddedEventLoop()
        let flush = loop.makePromise(of: ProduceResponse.PartitionResult.self)
        let answer = Partition.answer(flush.futureResult, partition: 1, within: .milliseconds(500), on: loop)
        let completed = NIOLoopBoundBox(false, eventLoop: loop)
        answer.whenComplete { _ in completed.value = true }
        loop.advanceTime(by: .milliseconds(499))
        #expect(!completed.value)
        loop.advanceTime(by: .milliseconds(1))
        let response = try answer.wait()
        #expect(response.errorCode == .requestTimedOut)
        #expect(response.partition == 1)
        #expect(response.errorMessage?.contains("may still") == true)
        flush.succeed(.failure(partition: 1, .none, ""))
    }

    @Test("a produce durable in time is answered normally and the timer is cancelled")
    func inTime() throws {
        let loop = EmbeddedEventLoop()
        let flush = loop.makePromise(of: ProduceResponse.PartitionResult.self)
        let answer = Partition.answer(flush.futureResult, partition: 1, within: .milliseconds(500), on: loop)
        let done = ProduceResponse.PartitionResult.failure(partition: 1, .none, "")
        flush.succeed(done)
        loop.advanceTime(by: .seconds(1))
        #expect(try answer.wait() == done)
    }
}
