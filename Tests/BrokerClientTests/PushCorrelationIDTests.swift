import BrokerProtocol
import NIOCore
import Testing

@testable import BrokerClient

/// The correlation id 0xFFFFFFFF belongs to the broker's pushes (`PushFrame.correlationID`): a
/// request that used it could not tell its response from a push, so the client never gives it out
/// (nor 0, the broker's for connection-level errors).
@Suite struct PushCorrelationIDTests {
    private func writtenID(_ action: ConnectionStateMachine<String>.SendAction) -> UInt32? {
        if case .write(let id) = action { return id }
        return nil
    }

    @Test func theCounterSkipsThePushIDAndZeroWhenItWraps() {
        var machine = ConnectionStateMachine<String>(firstCorrelationID: 0xFFFF_FFFD)
        let ids = (0..<4).map { _ in writtenID(machine.sendRequest("r")) }
        #expect(ids == [0xFFFF_FFFD, 0xFFFF_FFFE, 1, 2])
        #expect(!ids.contains(PushFrame.correlationID))
    }

    @Test func aMachineStartingAtThePushIDDoesNotUseIt() {
        var machine = ConnectionStateMachine<String>(firstCorrelationID: PushFrame.correlationID)
        #expect(writtenID(machine.sendRequest(nil)) == 1)
    }
}
