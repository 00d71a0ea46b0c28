import NIOCore
import NIOEmbedded
import Testing

@testable import Broker

/// `timeoutMilliseconds` of a durable schedule request: entries taken are answered
/// `requestTimedOut` when their record's flush has not completed in time after the append.
@Suite("schedule timeoutMilliseconds")
struct ScheduleTimeoutTests {
    static let taken: [Result<ScheduleAccepted, BrokerError>] = [
        .success(ScheduleAccepted(scheduleID: "a", partition: 0, due: 10, replaced: false)),
        .failure(BrokerError(.invalidRequest, "refused on its own")),
    ]

    @Test("not durable within the timeout: entries taken answer requestTimedOut, refused ones keep their error")
    func timesOut() throws {
        let loop = EmbeddedEventLoop()
        let flush = loop.makePromise(of: Void.self)
        let answer = Scheduler.answer(Self.taken, durable: flush.futureResult, within: .milliseconds(500), on: loop)
        let completed = NIOLoopBoundBox(false, eventLoop: loop)
        answer.whenComplete { _ in completed.value = true }
        loop.advanceTime(by: .milliseconds(499))
        #expect(!completed.value)
        loop.advanceTime(by: .milliseconds(1))
        let results = try answer.wait()
        guard case .failure(let timedOut) = results[0] else {
            Issue.record("the entry taken was answered \(results[0])")
            return
        }
        #expect(timedOut.code == .requestTimedOut)
        #expect(timedOut.message.contains("may still become durable"))
        guard case .failure(let refused) = results[1] else {
            Issue.record("the refused entry was answered \(results[1])")
            return
        }
        #expect(refused.code == .invalidRequest)
        flush.succeed(())
    }

    @Test("durable in time: answered as taken, the timer is cancelled")
    func inTime() throws {
        let loop = EmbeddedEventLoop()
        let flush = loop.makePromise(of: Void.self)
        let answer = Scheduler.answer(Self.taken, durable: flush.futureResult, within: .milliseconds(500), on: loop)
        flush.succeed(())
        loop.advanceTime(by: .seconds(1))
        let results = try answer.wait()
        #expect((try? results[0].get())?.scheduleID == "a")
    }

    @Test("without a timeout the answer waits for the flush however long it takes")
    func noTimeout() throws {
        let loop = EmbeddedEventLoop()
        let flush = loop.makePromise(of: Void.self)
        let answer = Scheduler.answer(Self.taken, durable: flush.futureResult, within: nil, on: loop)
        let completed = NIOLoopBoundBox(false, eventLoop: loop)
        answer.whenComplete { _ in completed.value = true }
        loop.advanceTime(by: .hours(1))
        #expect(!completed.value)
        flush.succeed(())
        #expect((try? answer.wait()[0].get())?.scheduleID == "a")
    }
}
