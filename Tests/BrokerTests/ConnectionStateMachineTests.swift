import Testing

@testable import Broker

@Suite("Broker ConnectionStateMachine")
struct ConnectionStateMachineTests {
    @Test("requests are served; reading pauses over the in-flight limit and resumes at half of it")
    func backPressure() {
        var machine = ConnectionStateMachine(maxInFlightBytes: 100)
        #expect(machine.requestReceived(bytes: 60) == [.serve])
        #expect(machine.requestReceived(bytes: 60) == [.serve, .pauseReading])
        #expect(machine.isReadingPaused)
        #expect(machine.requestReceived(bytes: 10) == [.serve], "already paused: no second pause")
        #expect(machine.requestCompleted(bytes: 60) == .none, "70 bytes still in flight, above half")
        #expect(machine.requestCompleted(bytes: 60) == .resumeReading)
        #expect(!machine.isReadingPaused)
        #expect(machine.requestCompleted(bytes: 10) == .none)
        #expect(machine.inFlightRequests == 0 && machine.inFlightBytes == 0)
    }

    @Test("draining closes at once when idle, or after the last in-flight request")
    func draining() {
        var idle = ConnectionStateMachine(maxInFlightBytes: 100)
        #expect(idle.drain() == .close)

        var busy = ConnectionStateMachine(maxInFlightBytes: 100)
        _ = busy.requestReceived(bytes: 5)
        _ = busy.requestReceived(bytes: 5)
        #expect(busy.drain() == .none)
        #expect(busy.requestReceived(bytes: 5) == [.reject], "new requests are answered shuttingDown while draining")
        #expect(busy.requestCompleted(bytes: 5) == .none)
        #expect(busy.requestCompleted(bytes: 5) == .close)
        #expect(busy.drain() == .none, "draining twice does nothing")
    }

    @Test("a closed connection serves nothing")
    func closed() {
        var machine = ConnectionStateMachine(maxInFlightBytes: 100)
        machine.closed()
        #expect(machine.state == .closed)
        #expect(machine.requestReceived(bytes: 1) == [.none])
        #expect(machine.drain() == .none)
    }
}
