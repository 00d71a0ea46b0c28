import BrokerProtocol
import Synchronization
import Testing

@testable import BrokerClient

/// `createTopicIfMissing` when the topic is deleted between the refused creation and the look-up:
/// a broker in memory that plays that sequence.
@Suite("Admin.createTopicIfMissing and a topic deleted in between")
struct AdminCreateTopicIfMissingRaceTests {
    /// Answers every create with "already exists" `refusals` times, and every describe with
    /// "unknown topic" (the topic was deleted at once); then creates the topic.
    final class VanishingTopic: BrokerTransport {
        let state: Mutex<(refusals: Int, creates: Int, describes: Int)>

        init(refusals: Int) { state = Mutex((refusals, 0, 0)) }

        var maxFrameBytes: Int? { get async { 1 << 20 } }

        func send<Request: WireMessage, Response: WireMessage>(
            _ request: Request,
            as response: Response.Type,
            timeout: Duration?
        ) async throws -> Response {
            switch request {
            case is CreateTopicRequest:
                let refuse = state.withLock { state in
                    state.creates += 1
                    guard state.refusals > 0 else { return false }
                    state.refusals -= 1
                    return true
                }
                let result =
                    refuse
                    ? AdministrationResult(errorCode: .topicAlreadyExists, errorMessage: "topic \"t\" already exists")
                    : AdministrationResult()
                return CreateTopicResponse(result) as! Response
            case is DescribeTopicRequest:
                state.withLock { $0.describes += 1 }
                throw ClientError.broker(.unknownTopic, "topic \"t\" does not exist")
            default:
                throw ClientError(.broker(.unsupportedAPI), "not served: \(Request.apiKey)")
            }
        }

        func sendWithoutResponse<Request: WireMessage>(_ request: Request) async throws {}
    }

    @Test("the topic is created again after it vanished between the two requests")
    func createdAfterVanishing() async throws {
        let transport = VanishingTopic(refusals: 2)
        #expect(try await Admin(transport: transport).createTopicIfMissing("t", partitions: 2))
        let counts = transport.state.withLock { $0 }
        #expect(counts.creates == 3 && counts.describes == 2)
    }

    @Test("a topic that keeps vanishing is an error after a few rounds, not an endless loop")
    func boundedRounds() async throws {
        let transport = VanishingTopic(refusals: 100)
        let error = try await #require(throws: ClientError.self) {
            try await Admin(transport: transport).createTopicIfMissing("t", partitions: 2)
        }
        #expect(error.code == .broker(.unknownTopic))
        #expect(transport.state.withLock { $0.creates } == 4)
    }
}
