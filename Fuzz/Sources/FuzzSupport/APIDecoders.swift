import BrokerProtocol
import NIOCore

/// The request and response decoders of every API the broker serves
/// (``ProtocolVersions/supported``) and of every push (``ProtocolVersions/pushes``), as the
/// harnesses run them: each decoded body goes through ``FrameHarness/roundTrip(_:_:version:isByteExact:refusing:)``.
///
/// A new API that is served but missing here stops the harnesses at once (a precondition in the
/// callers), so the table cannot fall behind the protocol unnoticed.
enum APIDecoders {
    /// The schedule requests refuse well-formed values out of their range (an id too long, a list
    /// limit over 1,000) with `invalidRequest`, which keeps the connection open.
    static let refusingOutOfRange: Set<APIKey> = [.schedule, .cancelSchedule, .listSchedules]

    /// Round-trips `body` as the request of `apiKey`; `false` if the broker does not serve it.
    static func request(_ apiKey: APIKey, _ body: ByteBuffer) -> Bool {
        let refusing: ErrorCode? = refusingOutOfRange.contains(apiKey) ? .invalidRequest : nil
        func check<Message: WireMessage & Hashable>(_ type: Message.Type, isByteExact: Bool = true) -> Bool {
            FrameHarness.roundTrip(type, body, isByteExact: isByteExact, refusing: refusing)
            return true
        }
        switch apiKey {
        case .handshake: return check(HandshakeRequest.self)
        case .produce: return check(ProduceRequest.self, isByteExact: false)
        case .fetch: return check(FetchRequest.self)
        case .listOffsets: return check(ListOffsetsRequest.self)
        case .createTopic: return check(CreateTopicRequest.self)
        case .listTopics: return check(ListTopicsRequest.self)
        case .describeTopic: return check(DescribeTopicRequest.self)
        case .deleteTopic: return check(DeleteTopicRequest.self)
        case .addPartitions: return check(AddPartitionsRequest.self)
        case .brokerStatus: return check(BrokerStatusRequest.self)
        case .initProducer: return check(InitProducerRequest.self)
        case .subscribe: return check(SubscribeRequest.self)
        case .credit: return check(CreditRequest.self)
        case .ack: return check(AckRequest.self)
        case .nack: return check(NackRequest.self)
        case .reject: return check(RejectRequest.self)
        case .extend: return check(ExtendRequest.self)
        case .leave: return check(LeaveRequest.self)
        case .listGroups: return check(ListGroupsRequest.self)
        case .describeGroup: return check(DescribeGroupRequest.self)
        case .resetGroup: return check(ResetGroupRequest.self)
        case .deleteGroup: return check(DeleteGroupRequest.self)
        case .schedule: return check(ScheduleRequest.self)
        case .cancelSchedule: return check(CancelScheduleRequest.self)
        case .listSchedules: return check(ListSchedulesRequest.self)
        case .redriveDeadLetters: return check(RedriveDeadLettersRequest.self)
        default: return false
        }
    }

    /// Round-trips `body` as the response of `apiKey` at `version` (or as the push `apiKey`);
    /// `false` if there is no such response or push.
    static func response(_ apiKey: APIKey, version: UInt16, _ body: ByteBuffer) -> Bool {
        func check<Message: WireMessage & Hashable>(_ type: Message.Type, isByteExact: Bool = true) -> Bool {
            FrameHarness.roundTrip(type, body, version: version, isByteExact: isByteExact)
            return true
        }
        switch apiKey {
        case .handshake: return check(HandshakeResponse.self)
        case .produce: return check(ProduceResponse.self)
        case .fetch: return check(FetchResponse.self, isByteExact: false)
        case .listOffsets: return check(ListOffsetsResponse.self)
        case .createTopic: return check(CreateTopicResponse.self)
        case .listTopics: return check(ListTopicsResponse.self)
        case .describeTopic: return check(DescribeTopicResponse.self)
        case .deleteTopic: return check(DeleteTopicResponse.self)
        case .addPartitions: return check(AddPartitionsResponse.self)
        case .brokerStatus: return check(BrokerStatusResponse.self)
        case .initProducer: return check(InitProducerResponse.self)
        case .subscribe: return check(SubscribeResponse.self)
        case .credit: return check(CreditResponse.self)
        case .ack: return check(AckResponse.self)
        case .nack: return check(NackResponse.self)
        case .reject: return check(RejectResponse.self)
        case .extend: return check(ExtendResponse.self)
        case .leave: return check(LeaveResponse.self)
        case .listGroups: return check(ListGroupsResponse.self)
        case .describeGroup: return check(DescribeGroupResponse.self)
        case .resetGroup: return check(ResetGroupResponse.self)
        case .deleteGroup: return check(DeleteGroupResponse.self)
        case .schedule: return check(ScheduleResponse.self)
        case .cancelSchedule: return check(CancelScheduleResponse.self)
        case .listSchedules: return check(ListSchedulesResponse.self)
        case .redriveDeadLetters: return check(RedriveDeadLettersResponse.self)
        case .deliver: return check(DeliverPush.self)
        default: return false
        }
    }
}
