import BrokerProtocol
import NIOCore
import Testing

/// Seeded random contents for every consumer-group message: each encodes, decodes to an equal
/// message and re-encodes to the same bytes.
@Suite("Group random round trips")
struct GroupRandomRoundTripTests {
    @Test(arguments: 0..<8)
    func randomMessagesRoundTrip(_ seed: Int) throws {
        var random = GroupMessageGenerator(seed: UInt64(seed) &* 0xD1B5_4A32_D192_ED03 &+ 7)
        for _ in 0..<25 {
            try check(random.subscribeRequest())
            try check(random.subscribeResponse())
            try check(CreditRequest(subscriptionID: random.uint32(), credits: random.uint32()))
            try check(CreditResponse())
            try check(random.ackRequest())
            try check(AckResponse(entries: random.entryResults()))
            try check(random.nackRequest())
            try check(NackResponse(entries: random.entryResults()))
            try check(random.rejectRequest())
            try check(RejectResponse(entries: random.entryResults()))
            try check(random.extendRequest())
            try check(ExtendResponse(entries: random.entryResults()))
            try check(random.deliverPush())
            try check(LeaveRequest(subscriptionID: random.uint32()))
            try check(LeaveResponse())
            try check(ListGroupsRequest())
            try check(random.listGroupsResponse())
            try check(DescribeGroupRequest(group: random.string()))
            try check(random.describeGroupResponse())
            try check(random.resetGroupRequest())
            try check(random.resetGroupResponse())
            try check(DeleteGroupRequest(group: random.string()))
            try check(DeleteGroupResponse())
            try check(random.redriveRequest())
            try check(RedriveDeadLettersResponse(redriven: random.int64()))
        }
    }

    /// A push survives the whole trip through a response frame and a frame decoder.
    @Test func randomDeliverPushesSurviveTheirFrames() throws {
        var random = GroupMessageGenerator(seed: 99)
        for _ in 0..<50 {
            let push = random.deliverPush()
            var bytes = ByteBuffer()
            push.pushFrame.responseFrame.write(into: &bytes)
            var decoder = FrameDecoder(maxFrameBytes: Frame.defaultMaxFrameBytes)
            let payload = try #require(try decoder.decode(buffer: &bytes))
            let frame = try ResponseFrame(payload: payload)
            #expect(frame.isPush)
            #expect(try DeliverPush(PushFrame(frame)) == push)
        }
    }

    private func check<Message: WireMessage & Hashable>(
        _ message: Message,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let encoded = message.encoded()
        let decoded = try Message.decode(encoded)
        #expect(decoded == message, sourceLocation: sourceLocation)
        #expect(decoded.encoded() == encoded, sourceLocation: sourceLocation)
    }
}

/// Random group messages from a seeded ``SplitMix64``.
struct GroupMessageGenerator {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func below(_ bound: Int) -> Int { generator.next(below: bound) }
    mutating func uint32() -> UInt32 { UInt32(truncatingIfNeeded: generator.next()) }
    mutating func int32() -> Int32 { extreme() ?? Int32(truncatingIfNeeded: generator.next()) }
    mutating func int64() -> Int64 { extreme() ?? Int64(truncatingIfNeeded: generator.next()) }
    mutating func bool() -> Bool { below(2) == 0 }

    /// Now and then an edge value.
    private mutating func extreme<T: FixedWidthInteger>() -> T? {
        switch below(8) {
        case 0: .min
        case 1: .max
        case 2: 0
        default: nil
        }
    }

    /// A value, or `nil` (-1 on the wire) a third of the time; never `.some(-1)`, which decodes as `nil`.
    mutating func optional<T: FixedWidthInteger & SignedInteger>(_ value: T) -> T? {
        below(3) == 0 || value == -1 ? nil : value
    }

    mutating func string() -> String {
        let pieces = ["a", "Z", "0", ".", "-", "_", "é", "注文", "🎉", "e\u{301}", " ", "ключ"]
        return (0..<below(12)).map { _ in pieces[below(pieces.count)] }.joined()
    }

    mutating func nullableString() -> String? { below(4) == 0 ? nil : string() }
    mutating func strings(atLeast minimum: Int = 0) -> [String] { (0..<(minimum + below(4))).map { _ in string() } }

    mutating func element<T: CaseIterable>(of type: T.Type) -> T {
        let all = Array(T.allCases)
        return all[below(all.count)]
    }

    mutating func resolvedSettings() -> ResolvedGroupSettings {
        ResolvedGroupSettings(
            ordering: element(of: GroupOrdering.self),
            ackTimeoutMilliseconds: int64(),
            maxDeliveries: int32(),
            maxUnfinishedPerPartition: int32(),
            backoffInitialMilliseconds: int64(),
            backoffMultiplierPercent: int32(),
            backoffMaxMilliseconds: int64()
        )
    }

    mutating func subscribeRequest() -> SubscribeRequest {
        SubscribeRequest(
            group: string(),
            topics: strings(atLeast: 1),
            startAt: element(of: GroupStartPosition.self),
            settings: RequestedGroupSettings(
                ordering: bool() ? nil : element(of: GroupOrdering.self),
                ackTimeoutMilliseconds: optional(int64()),
                maxDeliveries: optional(int32()),
                maxUnfinishedPerPartition: optional(int32()),
                backoffInitialMilliseconds: optional(int64()),
                backoffMultiplierPercent: optional(int32()),
                backoffMaxMilliseconds: optional(int64())
            ),
            initialCredits: uint32()
        )
    }

    mutating func subscribeResponse() -> SubscribeResponse {
        SubscribeResponse(subscriptionID: uint32(), settings: resolvedSettings(), created: bool())
    }

    mutating func range() -> ClosedRange<Int64> {
        let a = int64()
        let b = int64()
        return min(a, b)...max(a, b)
    }

    mutating func ackRequest() -> AckRequest {
        AckRequest(
            subscriptionID: uint32(),
            entries: (0..<below(4)).map { _ in
                .init(topic: string(), partition: int32(), ranges: (0..<below(4)).map { _ in range() })
            }
        )
    }

    mutating func nackRequest() -> NackRequest {
        NackRequest(
            subscriptionID: uint32(),
            entries: (0..<below(4)).map { _ in
                .init(
                    topic: string(),
                    partition: int32(),
                    offset: int64(),
                    delayMilliseconds: optional(int64()),
                    reason: nullableString()
                )
            }
        )
    }

    mutating func rejectRequest() -> RejectRequest {
        RejectRequest(
            subscriptionID: uint32(),
            entries: (0..<below(4)).map { _ in
                .init(topic: string(), partition: int32(), offset: int64(), reason: nullableString())
            }
        )
    }

    mutating func extendRequest() -> ExtendRequest {
        ExtendRequest(
            subscriptionID: uint32(),
            entries: (0..<below(4)).map { _ in .init(topic: string(), partition: int32(), offset: int64()) }
        )
    }

    mutating func entryResults() -> [GroupEntryResult] {
        (0..<below(4)).map { _ in
            GroupEntryResult(
                topic: string(),
                partition: int32(),
                errorCode: ErrorCode(rawValue: Int16(truncatingIfNeeded: generator.next())),
                errorMessage: nullableString()
            )
        }
    }

    mutating func deliverPush() -> DeliverPush {
        var offset = Int64(below(1000)) - 500
        let deliveries = (0..<(1 + below(5))).map { _ in
            offset += Int64(1 + below(100))
            return DeliverPush.Delivery(offset: offset, deliveryCount: Int32(1 + below(Int(Int32.max))))
        }
        let records = (0..<(1 + below(200))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        return DeliverPush(
            subscriptionID: uint32(),
            topic: string(),
            partition: int32(),
            deliveries: deliveries,
            records: ByteBuffer(bytes: records)
        )
    }

    mutating func listGroupsResponse() -> ListGroupsResponse {
        ListGroupsResponse(
            groups: (0..<below(4)).map { _ in
                .init(group: string(), kind: element(of: GroupKind.self), topics: strings(), members: int32())
            }
        )
    }

    mutating func describeGroupResponse() -> DescribeGroupResponse {
        DescribeGroupResponse(
            kind: element(of: GroupKind.self),
            settings: resolvedSettings(),
            members: (0..<below(4)).map { _ in
                .init(memberID: string(), clientAddress: string(), credits: uint32(), inFlight: int32())
            },
            partitions: (0..<below(4)).map { _ in
                .init(
                    topic: string(),
                    partition: int32(),
                    committedOffset: int64(),
                    logEndOffset: int64(),
                    lag: int64(),
                    inFlight: int32(),
                    unfinished: int32(),
                    deadLettered: int64()
                )
            }
        )
    }

    mutating func resetGroupRequest() -> ResetGroupRequest {
        ResetGroupRequest(group: string(), topic: string(), to: element(of: GroupResetTarget.self), value: int64())
    }

    mutating func resetGroupResponse() -> ResetGroupResponse {
        ResetGroupResponse(partitions: (0..<below(4)).map { _ in .init(partition: int32(), offset: int64()) })
    }

    mutating func redriveRequest() -> RedriveDeadLettersRequest {
        RedriveDeadLettersRequest(group: string(), topic: string(), limit: optional(int64()))
    }
}
