import BrokerProtocol
import NIOCore
import Testing

@testable import BrokerClient

/// The broker answers connection-level errors (over `maxConnections`, frame too large, frame
/// timeout) with correlation id 0 and closes: the client reports the broker's words.
@Suite("client: connection-level errors with correlation id 0")
struct ConnectionLevelErrorTests {
    @Test("an error with correlation id 0 fails every waiting request with the broker's code and message")
    func correlationIDZero() {
        var machine = ConnectionStateMachine<String>()
        _ = machine.sendRequest("handshake")
        let refusal = ResponseFrame(
            correlationID: 0,
            error: .limitExceeded,
            message: "the broker already has maxConnections (2) connections"
        )
        guard case .closeAndFail(let failed, let error) = machine.receiveResponse(refusal) else {
            Issue.record("not closed")
            return
        }
        #expect(failed == ["handshake"])
        #expect(error.code == .broker(.limitExceeded))
        #expect(error.description.contains("maxConnections (2)"))
    }

    @Test("correlation id 0 is never given to a request, even when the counter wraps")
    func skipsZero() {
        // UInt32.max is skipped too: it is the correlation id of the broker's pushes.
        var machine = ConnectionStateMachine<String>(firstCorrelationID: UInt32.max - 1)
        guard case .write(let last) = machine.sendRequest("a"), case .write(let next) = machine.sendRequest("b") else {
            Issue.record("not written")
            return
        }
        #expect(last == UInt32.max - 1)
        #expect(next == 1)
    }
}
