import BrokerProtocol
import NIOCore
import Testing

@testable import BrokerClient

@Suite struct ConnectionStateMachineTests {
    private func frame(_ correlationID: UInt32) -> ResponseFrame {
        ResponseFrame(correlationID: correlationID, body: ByteBuffer())
    }

    private func writtenID(_ action: ConnectionStateMachine<String>.SendAction) -> UInt32? {
        if case .write(let id) = action { return id }
        return nil
    }

    @Test func givesEachRequestItsOwnCorrelationID() {
        var machine = ConnectionStateMachine<String>(firstCorrelationID: 10)
        let first = writtenID(machine.sendRequest("a"))
        let second = writtenID(machine.sendRequest("b"))
        let third = writtenID(machine.sendRequest(nil))
        #expect(first == 10)
        #expect(second == 11)
        #expect(third == 12)
        #expect(machine.pendingCount == 2)  // the request without a response is not waited for
    }

    @Test func matchesResponsesThatArriveOutOfOrder() {
        var machine = ConnectionStateMachine<String>()
        let ids = ["a", "b", "c"].map { writtenID(machine.sendRequest($0))! }
        var completed: [String] = []
        for id in [ids[2], ids[0], ids[1]] {
            guard case .succeed(let pending, let frame) = machine.receiveResponse(frame(id)) else {
                Issue.record("response \(id) was not matched")
                return
            }
            #expect(frame.correlationID == id)
            completed.append(pending)
        }
        #expect(completed == ["c", "a", "b"])
        #expect(machine.pendingCount == 0)
    }

    @Test func anUnknownCorrelationIDClosesAndFailsEveryRequest() {
        var machine = ConnectionStateMachine<String>()
        _ = machine.sendRequest("a")
        _ = machine.sendRequest("b")
        guard case .closeAndFail(let failed, let error) = machine.receiveResponse(frame(999)) else {
            Issue.record("an unknown id was accepted")
            return
        }
        #expect(Set(failed) == ["a", "b"])
        #expect(error.code == .protocolViolation)
        #expect(!machine.isOpen)
    }

    @Test func connectionLossFailsAllPendingOnceAndLaterRequestsAtOnce() {
        var machine = ConnectionStateMachine<String>()
        _ = machine.sendRequest("a")
        _ = machine.sendRequest("b")
        let error = ClientError(.connectionClosed, "gone")
        #expect(machine.close(error) == ["a", "b"])
        #expect(machine.close(error).isEmpty)
        guard case .fail(let pending, let failure) = machine.sendRequest("c") else {
            Issue.record("a request on a closed connection was written")
            return
        }
        #expect(pending == "c")
        #expect(failure.code == .connectionClosed)
        if case .ignore = machine.receiveResponse(frame(1)) {} else { Issue.record("late response not ignored") }
    }

    @Test func abandonedRequestsAreNoLongerMatched() {
        var machine = ConnectionStateMachine<String>()
        let id = writtenID(machine.sendRequest("a"))!
        #expect(machine.abandonRequest(correlationID: id) == "a")
        #expect(machine.abandonRequest(correlationID: id) == nil)
        #expect(machine.pendingCount == 0)
    }
}

@Suite struct ClientErrorTests {
    @Test func brokerErrorsReadAsOneLine() {
        #expect(ClientError.broker(.unknownTopic, "unknown topic 'x'").description == "unknown topic 'x'")
        #expect(ClientError.broker(.unknownTopic, "no such thing").description == "unknown topic: no such thing")
        #expect(ClientError.broker(.unknownTopic, nil).description == "unknown topic")
        #expect(ClientError(.connectionFailed, "a\nb").description == "a b")
        #expect(ClientError.broker(.unknownTopic, nil).code == .broker(.unknownTopic))
    }
}
