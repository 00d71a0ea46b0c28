import BrokerProtocol
import NIOCore
import Testing

/// The consumer-group messages: golden bytes (the examples of docs/PROTOCOL.md §5.11-5.23), the
/// checks their decoders make beyond the primitive types, and hostile bodies. Round trips,
/// truncations, trailing bytes and bad UTF-8 run over ``GroupWireSamples`` in `MessageCodingTests`.
@Suite("Group message coding")
struct GroupMessageCodingTests {
    // MARK: Golden bytes

    static let subscribeHex = """
        0001 67  00000001 0001 74  01  01 0000000000001388 ffffffff ffffffff ffffffffffffffff ffffffff \
        ffffffffffffffff  00000064
        """

    @Test func subscribeRequestBytes() throws {
        let request = SubscribeRequest(
            group: "g",
            topics: ["t"],
            startAt: .earliest,
            settings: RequestedGroupSettings(ordering: .partition, ackTimeoutMilliseconds: 5000),
            initialCredits: 100
        )
        #expect(request.encoded() == ByteBuffer(hex: Self.subscribeHex))
        #expect(try SubscribeRequest.decode(ByteBuffer(hex: Self.subscribeHex)) == request)
    }

    static let subscribeResponseHex = """
        00000001  01 0000000000001388 00000005 000003e8 00000000000003e8 000000c8 00000000000493e0  01
        """

    @Test func subscribeResponseBytes() throws {
        let response = SubscribeResponse(
            subscriptionID: 1,
            settings: ResolvedGroupSettings(
                ordering: .partition,
                ackTimeoutMilliseconds: 5000,
                maxDeliveries: 5,
                maxUnfinishedPerPartition: 1000,
                backoffInitialMilliseconds: 1000,
                backoffMultiplierPercent: 200,
                backoffMaxMilliseconds: 300_000
            ),
            created: true
        )
        #expect(response.encoded() == ByteBuffer(hex: Self.subscribeResponseHex))
        #expect(try SubscribeResponse.decode(ByteBuffer(hex: Self.subscribeResponseHex)) == response)
    }

    /// The whole frame of a push: correlation id 0xFFFFFFFF, error code 0, the push header, the body.
    static let deliverFrameHex = """
        00000037 ffffffff 0000  0016 0000  00000001 0001 74 00000000 \
        00000002 0000000000000007 00000001 0000000000000009 00000002  00000002 aabb
        """

    @Test func deliverPushFrameBytes() throws {
        let push = DeliverPush(
            subscriptionID: 1,
            topic: "t",
            partition: 0,
            deliveries: [.init(offset: 7, deliveryCount: 1), .init(offset: 9, deliveryCount: 2)],
            records: ByteBuffer(bytes: [0xAA, 0xBB])
        )
        var bytes = ByteBuffer()
        push.pushFrame.responseFrame.write(into: &bytes)
        #expect(bytes == ByteBuffer(hex: Self.deliverFrameHex))

        var received = ByteBuffer(hex: Self.deliverFrameHex)
        #expect(received.readInteger(as: UInt32.self) == 0x37)
        let frame = try ResponseFrame(payload: received)
        #expect(frame.isPush)
        let pushFrame = try PushFrame(frame)
        #expect(pushFrame.apiKey == .deliver)
        #expect(pushFrame.version == 0)
        #expect(try DeliverPush(pushFrame) == push)
    }

    static let ackHex = """
        00000001  00000001 0001 74 00000000  00000002 0000000000000007 0000000000000007 \
        0000000000000009 000000000000000c
        """
    static let ackResponseHex = "00000002  0001 74 00000000 0000 ffff  0001 74 00000001 001c 0003 6f6f70"

    @Test func ackBytes() throws {
        let request = AckRequest(
            subscriptionID: 1,
            entries: [.init(topic: "t", partition: 0, ranges: [7...7, 9...12])]
        )
        #expect(request.encoded() == ByteBuffer(hex: Self.ackHex))
        #expect(try AckRequest.decode(ByteBuffer(hex: Self.ackHex)) == request)
        #expect(request.countedEntries == 2)

        let response = AckResponse(entries: [
            .init(topic: "t", partition: 0),
            .init(topic: "t", partition: 1, errorCode: .notDelivered, errorMessage: "oop"),
        ])
        #expect(response.encoded() == ByteBuffer(hex: Self.ackResponseHex))
        #expect(try AckResponse.decode(ByteBuffer(hex: Self.ackResponseHex)) == response)
    }

    /// Each range counts against `maxEntriesPerRequest`, and so does an entry without ranges, so that
    /// empty entries cannot slip past the limit.
    @Test func countedEntries() {
        let ack = AckRequest(
            subscriptionID: 1,
            entries: [
                .init(topic: "t", partition: 0, ranges: []),
                .init(topic: "t", partition: 1, ranges: [1...2, 4...4, 6...9]),
            ]
        )
        #expect(ack.countedEntries == 4)
        let nack = NackRequest(
            subscriptionID: 1,
            entries: Array(repeating: .init(topic: "t", partition: 0, offset: 1, reason: nil), count: 3)
        )
        #expect(nack.countedEntries == 3)
        #expect(RejectRequest(subscriptionID: 1, entries: []).countedEntries == 0)
        #expect(
            ExtendRequest(subscriptionID: 1, entries: [.init(topic: "t", partition: 0, offset: 1)]).countedEntries == 1
        )
    }

    // MARK: Sentinels and enumerations

    /// -1 on the wire is `nil` for every optional setting, a nack's delay and a redrive's limit.
    @Test func minusOneIsNil() throws {
        let defaults = SubscribeRequest(group: "g", topics: ["t"], initialCredits: 0).encoded()
        var settings = defaults
        settings.moveReaderIndex(forwardBy: 3 + 4 + 3 + 1)
        #expect(
            Array(settings.readableBytesView.prefix(RequestedGroupSettings.encodedBytes))
                == Array(repeating: 0xFF, count: 37)
        )
        let redrive = RedriveDeadLettersRequest(group: "g", topic: "t")
        #expect(redrive.encoded() == ByteBuffer(hex: "0001 67 0001 74 ffffffffffffffff"))
        let nack = NackRequest(subscriptionID: 1, entries: [.init(topic: "t", partition: 0, offset: 3, reason: nil)])
        #expect(
            nack.encoded()
                == ByteBuffer(hex: "00000001 00000001 0001 74 00000000 0000000000000003 ffffffffffffffff ffff")
        )
        #expect(try NackRequest.decode(nack.encoded()).entries.first?.delayMilliseconds == nil)
        // A value of -1 given explicitly means the same thing.
        let explicit = RedriveDeadLettersRequest(group: "g", topic: "t", limit: -1)
        #expect(try RedriveDeadLettersRequest.decode(explicit.encoded()) == redrive)
    }

    @Test func enumerationNumbersArePinned() {
        #expect(GroupOrdering.allCases.map(\.rawValue) == [0, 1, 2])
        #expect([GroupOrdering.key, .partition, .unordered].map(\.rawValue) == [0, 1, 2])
        #expect(GroupOrdering.allCases.map(\.description) == ["key", "partition", "none"])
        #expect([GroupStartPosition.latest, .earliest].map(\.rawValue) == [0, 1])
        #expect([GroupKind.sluice, .kafka].map(\.rawValue) == [0, 1])
        #expect([GroupResetTarget.earliest, .latest, .offset, .timestamp].map(\.rawValue) == [0, 1, 2, 3])
    }

    // MARK: Settings

    @Test func requestedSettingsResolveOverAGroupsSettings() {
        let base = GroupWireSamples.settings
        #expect(RequestedGroupSettings().resolved(over: base) == base)
        let requested = RequestedGroupSettings(ordering: .unordered, maxDeliveries: 9, backoffMaxMilliseconds: 7)
        var expected = base
        expected.ordering = .unordered
        expected.maxDeliveries = 9
        expected.backoffMaxMilliseconds = 7
        #expect(requested.resolved(over: base) == expected)
    }

    /// A setting given (not -1) that differs from the group's is a conflict naming the setting and
    /// both values; settings left out or equal are not.
    @Test func conflictsNameTheSettingAndBothValues() {
        let group = GroupWireSamples.settings
        #expect(RequestedGroupSettings().firstConflict(with: group) == nil)
        #expect(
            RequestedGroupSettings(ordering: .key, ackTimeoutMilliseconds: 30_000).firstConflict(with: group) == nil
        )
        let conflict = RequestedGroupSettings(ackTimeoutMilliseconds: 5000, maxDeliveries: 2).firstConflict(with: group)
        #expect(conflict?.setting == "ackTimeoutMs")
        #expect(conflict?.description == "ackTimeoutMs is 30000, the subscribe asked for 5000")
        #expect(
            RequestedGroupSettings(ordering: .partition).firstConflict(with: group)?.description
                == "ordering is key, the subscribe asked for partition"
        )
        let fields: [(RequestedGroupSettings, String)] = [
            (.init(maxUnfinishedPerPartition: 1), "maxUnfinishedPerPartition"),
            (.init(backoffInitialMilliseconds: 1), "backoffInitialMs"),
            (.init(backoffMultiplierPercent: 1), "backoffMultiplierPercent"),
            (.init(backoffMaxMilliseconds: 1), "backoffMaxMs"),
        ]
        for (requested, name) in fields {
            #expect(requested.firstConflict(with: group)?.setting == name)
        }
    }

    /// A subscribe must name the group's set of topics (order and repeats aside); settings are
    /// compared first.
    @Test func topicsConflictAfterSettings() {
        let group = GroupWireSamples.settings
        let agrees = SubscribeRequest(group: "g", topics: ["b", "a", "b"], initialCredits: 1)
        #expect(agrees.conflict(with: group, topics: ["a", "b"]) == nil)
        let fewer = SubscribeRequest(group: "g", topics: ["a"], initialCredits: 1)
        #expect(
            fewer.conflict(with: group, topics: ["b", "a"])?.description
                == "topics is [a, b], the subscribe asked for [a]"
        )
        let both = SubscribeRequest(
            group: "g",
            topics: ["a"],
            settings: RequestedGroupSettings(maxDeliveries: 1),
            initialCredits: 1
        )
        #expect(both.conflict(with: group, topics: ["b"])?.setting == "maxDeliveries")
    }

    // MARK: Pushes

    @Test func pushRecognition() throws {
        #expect(!ResponseFrame(correlationID: 0, body: ByteBuffer()).isPush)
        #expect(!ResponseFrame(correlationID: 0xFFFF_FFFE, body: ByteBuffer()).isPush)
        #expect(ResponseFrame(correlationID: 0xFFFF_FFFF, body: ByteBuffer()).isPush)

        let notAPush = #expect(throws: ProtocolError.self) {
            try PushFrame(ResponseFrame(correlationID: 7, body: ByteBuffer(hex: "0016 0000")))
        }
        #expect(notAPush?.message == "correlation id 7 is not a push's")
        let withError = #expect(throws: ProtocolError.self) {
            try PushFrame(
                ResponseFrame(correlationID: PushFrame.correlationID, error: .unknownServerError, message: "x")
            )
        }
        #expect(withError?.message == "a push carries error code 1")
        let short = #expect(throws: ProtocolError.self) {
            try PushFrame(ResponseFrame(correlationID: PushFrame.correlationID, body: ByteBuffer(hex: "0016 00")))
        }
        #expect(short?.message == "push version: expected 2 bytes")
    }

    @Test(arguments: [(APIKey.deliver, UInt16(1)), (APIKey.ack, UInt16(0)), (APIKey(rawValue: 99), UInt16(0))])
    func deliverRefusesOtherPushes(_ apiKey: APIKey, _ version: UInt16) throws {
        let body = try #require(GroupWireSamples.responses.first { $0.apiKey == .deliver }).encoded
        let error = #expect(throws: ProtocolError.self) {
            try DeliverPush(PushFrame(apiKey: apiKey, version: version, body: body))
        }
        #expect(error?.message == "push \(apiKey) v\(version) is not deliver v0")
    }

    // MARK: Versions

    /// Every group and dead-letter API is served at version 0 with a request and a response
    /// sample; the deliver push is never served as a request.
    @Test func groupAPIsAreServedPushesAreNot() {
        #expect(ProtocolVersions.pushes.map(\.apiKey) == [.deliver])
        for range in ProtocolVersions.pushes {
            #expect(range.minVersion == 0 && range.maxVersion == 0)
            #expect(ProtocolVersions.range(of: range.apiKey) == nil, "\(range.apiKey) is served")
        }
        let groupKeys = ProtocolVersions.supported.map(\.apiKey).filter {
            (20...39).contains($0.rawValue) || (60...79).contains($0.rawValue)
        }
        #expect(groupKeys.contains(.redriveDeadLetters))
        for key in groupKeys {
            #expect(ProtocolVersions.range(of: key)?.maxVersion == 0)
            #expect(GroupWireSamples.responses.contains { $0.apiKey == key }, "no response sample for \(key)")
            #expect(GroupWireSamples.requests.contains { $0.apiKey == key }, "no request sample for \(key)")
        }
    }
}
