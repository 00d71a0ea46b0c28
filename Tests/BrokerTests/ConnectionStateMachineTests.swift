import Testing

@testable import Broker

/// The actions a machine has after an event, in order, rendered for comparison.
private func actions(_ machine: inout ConnectionStateMachine<String>) -> [String] {
    var result: [String] = []
    while let action = machine.nextAction() {
        switch action {
        case .serve(let request, let reservation): result.append("serve \(request) \(reservation)")
        case .reject(let request): result.append("reject \(request)")
        case .read: result.append("read")
        case .startTimer(let id): result.append("start \(id.kind)")
        case .cancelTimer: result.append("cancel")
        case .close: result.append("close")
        }
        precondition(result.count < 1000, "nextAction does not settle")
    }
    return result
}

@Suite("Broker ConnectionStateMachine")
struct ConnectionStateMachineTests {
    static let limits = ConnectionStateMachine<String>.Limits(maxInFlightBytes: 100, maxInFlightRequests: 3)

    @Test("a new connection is idle: the idle timer runs, and reads go through")
    func idleAtStart() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        #expect(actions(&machine) == ["start idle"])
        machine.readRequested()
        #expect(actions(&machine) == ["read"])
        #expect(!machine.isReadHeld)
    }

    @Test("requests are served in order while their reservations fit; reading stops until they do")
    func reservationsAgainstTheLimit() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&machine)
        machine.requestReceived("a", bytes: 10, reservation: 60)
        machine.requestReceived("b", bytes: 10, reservation: 60)
        machine.partialFrame(bytes: 0)
        machine.readRequested()
        #expect(actions(&machine) == ["serve a 60", "cancel"], "b would go over 100; no read while b waits")
        #expect(machine.isReadHeld && machine.queuedBytes == 10 && machine.inFlightBytes == 60)

        let outcome1 = machine.requestCompleted(reservation: 60, responseBytes: 50)
        #expect(outcome1)
        #expect(machine.inFlightBytes == 50, "the unwritten response counts")
        #expect(actions(&machine) == [], "50 unwritten + 60 reserved is over 100: b still waits")
        machine.responseWritten(bytes: 50)
        #expect(actions(&machine) == ["serve b 60", "read"])
        let outcome2 = machine.requestCompleted(reservation: 60, responseBytes: 5)
        #expect(outcome2)
        machine.responseWritten(bytes: 5)
        #expect(actions(&machine) == ["start idle"])
        #expect(machine.heldBytes == 0)
    }

    @Test("one request larger than the limit is served when nothing else is held")
    func oversizedRequestProgresses() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&machine)
        machine.requestReceived("big", bytes: 10, reservation: 500)
        #expect(actions(&machine) == ["serve big 500", "cancel"])
    }

    @Test("at most maxInFlightRequests are served at once")
    func requestCount() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&machine)
        for name in ["a", "b", "c", "d"] { machine.requestReceived(name, bytes: 1, reservation: 1) }
        machine.readRequested()
        #expect(actions(&machine) == ["serve a 1", "serve b 1", "serve c 1", "cancel"])
        let outcome3 = machine.requestCompleted(reservation: 1, responseBytes: nil)
        #expect(outcome3 == false, "no response due")
        #expect(actions(&machine) == ["serve d 1"], "d is served, but three are in flight again: no read")
        #expect(machine.isReadHeld)
    }

    @Test("an unwritable channel holds back serving and reading until it is writable again")
    func writability() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&machine)
        machine.writabilityChanged(isWritable: false)
        machine.requestReceived("a", bytes: 1, reservation: 1)
        machine.readRequested()
        #expect(actions(&machine) == ["cancel"])
        machine.writabilityChanged(isWritable: true)
        #expect(actions(&machine) == ["serve a 1", "read"])
    }

    @Test("a partial frame runs the frame timer, restarted when a frame completes, stopped while reading is held")
    func frameTimer() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&machine)
        machine.partialFrame(bytes: 3)
        #expect(actions(&machine) == ["start frame"])
        #expect(actions(&machine) == [], "still the same frame: the timer keeps running")
        machine.requestReceived("a", bytes: 9, reservation: 9)
        machine.partialFrame(bytes: 2)
        #expect(actions(&machine) == ["serve a 9", "start frame"], "a new frame began: the clock restarts")
        machine.requestReceived("b", bytes: 9, reservation: 200)
        machine.readRequested()
        #expect(actions(&machine) == ["cancel"], "b waits and reading is held: the broker is the slow one")
    }

    @Test("the frame timer firing fails the connection; a stale firing does nothing")
    func frameTimeout() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&machine)
        machine.partialFrame(bytes: 3)
        guard case .startTimer(let first) = machine.nextAction() else {
            Issue.record("no timer")
            return
        }
        machine.requestReceived("a", bytes: 9, reservation: 9)
        machine.partialFrame(bytes: 1)
        #expect(actions(&machine) == ["serve a 9", "start frame"])
        let outcome4 = machine.timerFired(first)
        #expect(outcome4 == .none, "the first arming was replaced")
        machine.partialFrame(bytes: 1)
        guard case .startTimer(let later) = Self.rearm(&machine) else {
            Issue.record("no timer")
            return
        }
        let outcome5 = machine.timerFired(later)
        #expect(outcome5 == .failFrameTimeout)
        #expect(machine.state == .closed)
        #expect(actions(&machine) == [])
        let outcome6 = machine.requestCompleted(reservation: 9, responseBytes: 4)
        #expect(outcome6 == false, "no writes after closing")
        let outcome7 = machine.requestCompleted(reservation: 1, responseBytes: nil)
        #expect(outcome7 == false)
        #expect(machine.heldBytes == 0)
    }

    /// Forces a fresh arming of the frame timer by completing a frame.
    static func rearm(_ machine: inout ConnectionStateMachine<String>) -> ConnectionStateMachine<String>.Action? {
        machine.requestReceived("x", bytes: 1, reservation: 1)
        var last: ConnectionStateMachine<String>.Action?
        while let action = machine.nextAction() {
            if case .startTimer = action { last = action }
        }
        return last
    }

    @Test("the idle timer closes an idle connection; activity cancels it")
    func idleTimeout() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        guard case .startTimer(let idle) = machine.nextAction() else {
            Issue.record("no idle timer")
            return
        }
        machine.requestReceived("a", bytes: 1, reservation: 1)
        #expect(actions(&machine) == ["serve a 1", "cancel"])
        let outcome8 = machine.timerFired(idle)
        #expect(outcome8 == .none, "cancelled")
        let outcome9 = machine.requestCompleted(reservation: 1, responseBytes: 3)
        #expect(outcome9)
        #expect(actions(&machine) == [], "a response is still being written: not idle")
        machine.responseWritten(bytes: 3)
        guard case .startTimer(let again) = machine.nextAction() else {
            Issue.record("no idle timer")
            return
        }
        let outcome10 = machine.timerFired(again)
        #expect(outcome10 == .closeIdle)
        #expect(machine.state == .closed)
    }

    @Test("draining rejects waiting requests, and closes once in-flight responses are written")
    func draining() {
        var idle = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&idle)
        idle.drain()
        #expect(actions(&idle) == ["cancel", "close"], "the idle timer goes first")

        var busy = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&busy)
        busy.requestReceived("a", bytes: 5, reservation: 5)
        #expect(actions(&busy) == ["serve a 5", "cancel"])
        busy.drain()
        busy.requestReceived("b", bytes: 5, reservation: 5)
        #expect(actions(&busy) == ["reject b"])
        let outcome11 = busy.requestCompleted(reservation: 5, responseBytes: 7)
        #expect(outcome11)
        #expect(actions(&busy) == [], "the response is not written yet")
        busy.responseWritten(bytes: 7)
        #expect(actions(&busy) == ["close"])
        busy.drain()
        #expect(actions(&busy) == [], "draining twice does nothing")
    }

    @Test("closing drops waiting requests and releases everything once in-flight work ends")
    func closedReleases() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&machine)
        machine.requestReceived("a", bytes: 5, reservation: 50)
        machine.requestReceived("b", bytes: 5, reservation: 50)
        machine.requestReceived("c", bytes: 5, reservation: 50)
        _ = actions(&machine)
        let outcome12 = machine.requestCompleted(reservation: 50, responseBytes: 40)
        #expect(outcome12)
        machine.closed()
        #expect(actions(&machine) == [])
        #expect(machine.queuedBytes == 0)
        let outcome13 = machine.requestCompleted(reservation: 50, responseBytes: 40)
        #expect(outcome13 == false)
        machine.responseWritten(bytes: 40)
        #expect(machine.heldBytes == 0)
        machine.requestReceived("d", bytes: 1, reservation: 1)
        #expect(actions(&machine) == [] && machine.heldBytes == 0, "a closed connection serves nothing")
    }

    @Test("a protocol violation is answered once and closes; waiting requests are dropped")
    func protocolViolation() {
        var machine = ConnectionStateMachine<String>(limits: Self.limits)
        _ = actions(&machine)
        machine.requestReceived("a", bytes: 5, reservation: 500)
        machine.requestReceived("b", bytes: 5, reservation: 500)
        _ = actions(&machine)
        let first = machine.protocolViolated()
        let second = machine.protocolViolated()
        #expect(first && !second, "answered once")
        #expect(machine.state == .closed && machine.queuedBytes == 0)
        #expect(actions(&machine) == [])
    }
}
