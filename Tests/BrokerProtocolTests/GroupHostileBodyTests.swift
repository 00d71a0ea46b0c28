import BrokerProtocol
import NIOCore
import Testing

/// A body some peer might send to a group decoder, and the error it must get: never a trap, never
/// an allocation sized by a hostile count, always a `malformedRequest` naming the field.
struct HostileBody: Sendable, CustomTestStringConvertible {
    var name: String
    var hex: String
    var message: String
    var decode: @Sendable (ByteBuffer) throws -> any WireMessage

    var testDescription: String { name }

    init<Message: WireMessage>(_ type: Message.Type, _ name: String, _ hex: String, _ message: String) {
        self.name = "\(Message.self): \(name)"
        self.hex = hex
        self.message = message
        self.decode = { try Message.decode($0) }
    }
}

@Suite("Group hostile bodies")
struct GroupHostileBodyTests {
    /// A settings block of 37 bytes, every setting -1, after `ordering`.
    static let unsetAfterOrdering = "ffffffffffffffff ffffffff ffffffff ffffffffffffffff ffffffff ffffffffffffffff"
    static let resolvedAfterOrdering = "0000000000007530 00000005 000003e8 00000000000003e8 000000c8 00000000000493e0"

    static let cases: [HostileBody] = [
        // subscribe
        .init(
            SubscribeRequest.self,
            "topic count",
            "0001 67 ffffffff",
            "topics: 4294967295 elements cannot fit in 0 bytes"
        ),
        .init(
            SubscribeRequest.self,
            "topic count past the bytes",
            "0001 67 00000100 0001 74",
            "topics: 256 elements cannot fit in 3 bytes"
        ),
        .init(
            SubscribeRequest.self,
            "no topics",
            "0001 67 00000000 00 ff \(unsetAfterOrdering) 00000001",
            "topics: a subscribe names at least one topic"
        ),
        .init(
            SubscribeRequest.self,
            "startAt 2",
            "0001 67 00000001 0001 74 02 ff \(unsetAfterOrdering) 00000001",
            "startAt: 2 is not one of 0, 1"
        ),
        .init(
            SubscribeRequest.self,
            "ordering 3",
            "0001 67 00000001 0001 74 00 03 \(unsetAfterOrdering) 00000001",
            "ordering: 3 is not one of -1, 0, 1, 2"
        ),
        .init(
            SubscribeRequest.self,
            "ordering -2",
            "0001 67 00000001 0001 74 00 fe \(unsetAfterOrdering) 00000001",
            "ordering: -2 is not one of -1, 0, 1, 2"
        ),
        .init(
            SubscribeRequest.self,
            "no initialCredits",
            "0001 67 00000001 0001 74 00 ff \(unsetAfterOrdering)",
            "initialCredits: expected 4 bytes"
        ),
        .init(
            SubscribeResponse.self,
            "created 2",
            "00000001 00 \(resolvedAfterOrdering) 02",
            "created: 2 is not 0 or 1"
        ),
        .init(
            SubscribeResponse.self,
            "resolved ordering -1",
            "00000001 ff \(resolvedAfterOrdering) 01",
            "ordering: -1 is not one of 0, 1, 2"
        ),
        // credit, leave
        .init(CreditRequest.self, "no credits", "00000001 0000", "credits: expected 4 bytes"),
        .init(LeaveRequest.self, "short id", "000001", "subscriptionId: expected 4 bytes"),
        // ack
        .init(
            AckRequest.self,
            "entry count",
            "00000001 ffffffff",
            "entries: 4294967295 elements cannot fit in 0 bytes"
        ),
        .init(
            AckRequest.self,
            "range count",
            "00000001 00000001 0001 74 00000000 10000000 0000000000000001",
            "ranges: 268435456 elements cannot fit in 8 bytes"
        ),
        .init(
            AckRequest.self,
            "first after last",
            "00000001 00000001 0001 74 00000000 00000001 0000000000000009 0000000000000007",
            "ranges: firstOffset 9 is after lastOffset 7"
        ),
        .init(
            AckRequest.self,
            "first after last, extremes",
            "00000001 00000001 0001 74 00000000 00000001 7fffffffffffffff 8000000000000000",
            "ranges: firstOffset 9223372036854775807 is after lastOffset -9223372036854775808"
        ),
        // nack, reject, extend
        .init(
            NackRequest.self,
            "entry count",
            "00000001 00000002 0001 74 00000000 0000000000000001 ffffffffffffffff ffff",
            "entries: 2 elements cannot fit in 25 bytes"
        ),
        .init(
            NackRequest.self,
            "reason past the end",
            "00000001 00000001 0001 74 00000000 0000000000000001 ffffffffffffffff 0010 41",
            "reason: 16 bytes announced, 1 left"
        ),
        .init(
            RejectRequest.self,
            "entry count",
            "00000001 00000002 0001 74 00000000 0000000000000001 ffff",
            "entries: 2 elements cannot fit in 17 bytes"
        ),
        .init(
            ExtendRequest.self,
            "entry count",
            "00000001 00000002 0001 74 00000000 0000000000000001",
            "entries: 2 elements cannot fit in 15 bytes"
        ),
        // entry results
        .init(
            AckResponse.self,
            "entry count",
            "00000002 0001 74 00000000 0000 ffff",
            "entries: 2 elements cannot fit in 11 bytes"
        ),
        .init(NackResponse.self, "entry count", "ffffffff", "entries: 4294967295 elements cannot fit in 0 bytes"),
        .init(RejectResponse.self, "entry count", "00000001 0000", "entries: 1 elements cannot fit in 2 bytes"),
        .init(
            ExtendResponse.self,
            "no message",
            "00000001 0001 74 00000000 001c 00",
            "errorMessage length: expected 2 bytes"
        ),
        // deliver
        .init(
            DeliverPush.self,
            "delivery count",
            "00000001 0001 74 00000000 ffffffff 00000001 aa",
            "deliveries: 4294967295 elements cannot fit in 5 bytes"
        ),
        .init(
            DeliverPush.self,
            "no deliveries",
            "00000001 0001 74 00000000 00000000 00000001 aa",
            "deliveries: a deliver holds at least one"
        ),
        .init(
            DeliverPush.self,
            "offsets descending",
            "00000001 0001 74 00000000 00000002 0000000000000009 00000001 0000000000000007 00000001 00000001 aa",
            "deliveries: offset 7 after 9, offsets must be strictly ascending"
        ),
        .init(
            DeliverPush.self,
            "offset repeated",
            "00000001 0001 74 00000000 00000002 0000000000000009 00000001 0000000000000009 00000001 00000001 aa",
            "deliveries: offset 9 after 9, offsets must be strictly ascending"
        ),
        .init(
            DeliverPush.self,
            "delivery count 0",
            "00000001 0001 74 00000000 00000001 0000000000000009 00000000 00000001 aa",
            "deliveries: offset 9 has deliveryCount 0, below 1"
        ),
        .init(
            DeliverPush.self,
            "delivery count negative",
            "00000001 0001 74 00000000 00000001 0000000000000009 80000000 00000001 aa",
            "deliveries: offset 9 has deliveryCount -2147483648, below 1"
        ),
        .init(
            DeliverPush.self,
            "null records",
            "00000001 0001 74 00000000 00000001 0000000000000009 00000001 ffffffff",
            "records: a deliver carries record batches"
        ),
        .init(
            DeliverPush.self,
            "empty records",
            "00000001 0001 74 00000000 00000001 0000000000000009 00000001 00000000",
            "records: a deliver carries record batches"
        ),
        .init(
            DeliverPush.self,
            "records past the end",
            "00000001 0001 74 00000000 00000001 0000000000000009 00000001 7fffffff aa",
            "records: length 2147483647 with 1 bytes left"
        ),
        // administration
        .init(DescribeGroupRequest.self, "group past the end", "fffe 41", "group: 65534 bytes announced, 1 left"),
        .init(DeleteGroupRequest.self, "null group", "ffff", "group: null where a string is required"),
        .init(
            ResetGroupRequest.self,
            "to 4",
            "0001 67 0001 74 04 0000000000000000",
            "to: 4 is not one of 0, 1, 2, 3"
        ),
        .init(
            ResetGroupRequest.self,
            "to -1",
            "0001 67 0001 74 ff 0000000000000000",
            "to: -1 is not one of 0, 1, 2, 3"
        ),
        .init(RedriveDeadLettersRequest.self, "short limit", "0001 67 0001 74 ffffffff", "limit: expected 8 bytes"),
        .init(
            ListGroupsResponse.self,
            "group count",
            "ffffffff 00",
            "groups: 4294967295 elements cannot fit in 1 bytes"
        ),
        .init(ListGroupsResponse.self, "kind 2", "00000001 0001 67 02 00000000 00000000", "kind: 2 is not one of 0, 1"),
        .init(
            ListGroupsResponse.self,
            "topic count",
            "00000001 0001 67 00 00001000 00000000",
            "topics: 4096 elements cannot fit in 4 bytes"
        ),
        .init(
            DescribeGroupResponse.self,
            "kind -1",
            "ff 00 \(resolvedAfterOrdering) 00000000 00000000",
            "kind: -1 is not one of 0, 1"
        ),
        .init(
            DescribeGroupResponse.self,
            "member count",
            "00 00 \(resolvedAfterOrdering) 00000002 0001 6d 0000 00000000 00000000 00000000",
            "members: 2 elements cannot fit in 17 bytes"
        ),
        .init(
            DescribeGroupResponse.self,
            "partition count",
            "00 00 \(resolvedAfterOrdering) 00000000 00000001 0001 74",
            "partitions: 1 elements cannot fit in 3 bytes"
        ),
        .init(
            ResetGroupResponse.self,
            "partition count",
            "00000002 00000000 0000000000000000",
            "partitions: 2 elements cannot fit in 12 bytes"
        ),
        .init(RedriveDeadLettersResponse.self, "short", "00000000000000", "redriven: expected 8 bytes"),
    ]

    @Test(arguments: cases)
    func isRefusedWithAClearMessage(_ body: HostileBody) {
        let error = #expect(throws: ProtocolError.self) { try body.decode(ByteBuffer(hex: body.hex)) }
        #expect(error?.code == .malformedRequest)
        #expect(error?.message == body.message)
    }

    /// Every group decoder has at least one hostile case above.
    @Test func everyGroupMessageHasAHostileCase() {
        let names = Set(Self.cases.map { String($0.name.prefix { $0 != ":" }) })
        let expected: Set<String> = [
            "SubscribeRequest", "SubscribeResponse", "CreditRequest", "LeaveRequest", "AckRequest", "NackRequest",
            "RejectRequest", "ExtendRequest", "AckResponse", "NackResponse", "RejectResponse", "ExtendResponse",
            "DeliverPush", "DescribeGroupRequest", "DeleteGroupRequest", "ResetGroupRequest",
            "RedriveDeadLettersRequest", "ListGroupsResponse", "DescribeGroupResponse", "ResetGroupResponse",
            "RedriveDeadLettersResponse",
        ]
        #expect(expected.subtracting(names).isEmpty, "\(expected.subtracting(names))")
    }
}
