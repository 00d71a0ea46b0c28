import BrokerProtocol
import NIOCore
import Testing

/// The delayed-delivery messages (keys 40-42): golden bytes (the examples of docs/PROTOCOL.md
/// §5.25-5.27), their named limits, and hostile bodies. Round trips, truncation at every byte,
/// trailing bytes and bad UTF-8 run over ``ScheduleWireSamples`` in `MessageCodingTests`.
@Suite("Schedule message coding")
struct ScheduleMessageCodingTests {
    // MARK: Golden bytes

    /// acks 2, 30,000 ms, topic "t"; one entry: partition -1, in 60,000 ms, id "o:1", the broker's
    /// clock as produce time, key "k", value "v", header h=x.
    static let scheduleHex = """
        02 00007530 0001 74  00000001  ffffffff ffffffffffffffff 000000000000ea60 0003 6f3a31 \
        ffffffffffffffff 00000001 6b 00000001 76 00000001 0001 68 00000001 78
        """
    /// "o:1" on partition 2, due 2026-11-27T18:05:00.123Z, replacing an earlier one; the second
    /// entry failed with invalidRequest "both".
    static let scheduleResponseHex = """
        00000002  0000 ffff 0003 6f3a31 00000002 000001a21e2e995b 01  \
        0013 0004 626f7468 ffff ffffffff ffffffffffffffff 00
        """
    static let cancelHex = "0001 74  00000003 0003 6f3a31 0003 6f3a32 0003 6f3a33"
    static let cancelResponseHex = "00000003  00 0000 ffff  01 0000 ffff  02 0000 ffff"
    static let listHex = "0001 74  ffffffffffffffff  0002 6f3a  ffffffff  00000064"
    static let listResponseHex = """
        0000000000000003  00000001 0003 6f3a31 00000002 000001a21e2e995b 000001a21df7aa60 00000001 6b 00000005  \
        00000004 0a0b0c0d
        """

    static let dueTime: Int64 = 1_795_802_700_123  // 2026-11-27T18:05:00.123Z
    static let producedTime: Int64 = 1_795_799_100_000  // 2026-11-27T17:05:00.000Z

    @Test func scheduleRequestBytes() throws {
        let request = ScheduleRequest(
            acks: .durable,
            timeoutMilliseconds: 30_000,
            topic: "t",
            entries: [
                .init(
                    time: .after(milliseconds: 60_000),
                    scheduleID: "o:1",
                    key: ByteBuffer(string: "k"),
                    value: ByteBuffer(string: "v"),
                    headers: [.init(key: "h", value: ByteBuffer(string: "x"))]
                )
            ]
        )
        #expect(request.encoded() == ByteBuffer(hex: Self.scheduleHex))
        let decoded = try ScheduleRequest.decode(ByteBuffer(hex: Self.scheduleHex))
        #expect(decoded == request)
        #expect(decoded.entries.first?.partition == nil)
        #expect(decoded.entries.first?.timestamp == nil)
        #expect(decoded.entries.first?.time == .after(milliseconds: 60_000))
    }

    @Test func scheduleResponseBytes() throws {
        let response = ScheduleResponse(entries: [
            .init(scheduleID: "o:1", partition: 2, deliverAt: Self.dueTime, replaced: true),
            .failure(.invalidRequest, "both"),
        ])
        #expect(response.encoded() == ByteBuffer(hex: Self.scheduleResponseHex))
        #expect(try ScheduleResponse.decode(ByteBuffer(hex: Self.scheduleResponseHex)) == response)
    }

    @Test func cancelBytes() throws {
        let request = CancelScheduleRequest(topic: "t", scheduleIDs: ["o:1", "o:2", "o:3"])
        #expect(request.encoded() == ByteBuffer(hex: Self.cancelHex))
        #expect(try CancelScheduleRequest.decode(ByteBuffer(hex: Self.cancelHex)) == request)

        let response = CancelScheduleResponse(entries: [
            .init(outcome: .cancelled), .init(outcome: .alreadyDelivered), .init(outcome: .unknown),
        ])
        #expect(response.encoded() == ByteBuffer(hex: Self.cancelResponseHex))
        #expect(try CancelScheduleResponse.decode(ByteBuffer(hex: Self.cancelResponseHex)) == response)
    }

    @Test func listBytes() throws {
        let request = ListSchedulesRequest(topic: "t", dueBefore: nil, idPrefix: "o:", cursor: nil, limit: 100)
        #expect(request.encoded() == ByteBuffer(hex: Self.listHex))
        #expect(try ListSchedulesRequest.decode(ByteBuffer(hex: Self.listHex)) == request)

        let response = ListSchedulesResponse(
            pending: 3,
            entries: [
                .init(
                    scheduleID: "o:1",
                    partition: 2,
                    deliverAt: Self.dueTime,
                    producedAt: Self.producedTime,
                    key: ByteBuffer(string: "k"),
                    valueBytes: 5
                )
            ],
            cursor: ByteBuffer(bytes: [0x0A, 0x0B, 0x0C, 0x0D])
        )
        #expect(response.encoded() == ByteBuffer(hex: Self.listResponseHex))
        #expect(try ListSchedulesResponse.decode(ByteBuffer(hex: Self.listResponseHex)) == response)
    }

    // MARK: Keys, versions and enumerations

    @Test func keysAndVersionsArePinned() throws {
        let keys: [(APIKey, UInt16, String)] = [
            (.schedule, 40, "schedule"), (.cancelSchedule, 41, "cancelSchedule"), (.listSchedules, 42, "listSchedules"),
        ]
        for (key, number, name) in keys {
            #expect(key.rawValue == number)
            #expect(key.description == name)
            let range = try #require(ProtocolVersions.range(of: key))
            #expect(range.minVersion == 0 && range.maxVersion == 0)
        }
        #expect(ProtocolVersions.range(of: APIKey(rawValue: 43)) == nil)
        #expect(APIKey(rawValue: 43).description == "api 43")
    }

    @Test func cancelOutcomesArePinned() {
        #expect(CancelOutcome.allCases.map(\.rawValue) == [0, 1, 2])
        #expect(CancelOutcome.allCases.map(\.description) == ["cancelled", "already delivered", "unknown"])
    }

    // MARK: Times

    @Test(
        arguments: [
            (Int64?.none, Int64?.none, "give deliverAt or delayMilliseconds (neither is set)"),
            (1, 2, "give deliverAt or delayMilliseconds, not both"),
            (0, 0, "give deliverAt or delayMilliseconds, not both"),
            (-2, nil, "deliverAt is -2, below 0"),
            (nil, .min, "delayMilliseconds is -9223372036854775808, below 0"),
        ] as [(Int64?, Int64?, String)]
    )
    func entriesWithoutOneTimeSayWhy(_ at: Int64?, _ delay: Int64?, _ problem: String) {
        let entry = ScheduleRequest.Entry(partition: nil, deliverAt: at, delayMilliseconds: delay)
        #expect(entry.time == nil)
        #expect(entry.timeProblem == problem)
    }

    @Test func entriesWithOneTimeHaveIt() {
        let at = ScheduleRequest.Entry(partition: nil, deliverAt: 0, delayMilliseconds: nil)
        #expect(at.time == .at(epochMilliseconds: 0))
        #expect(at.timeProblem == nil)
        let after = ScheduleRequest.Entry(partition: nil, deliverAt: nil, delayMilliseconds: .max)
        #expect(after.time == .after(milliseconds: .max))
        #expect(after.timeProblem == nil)
    }

    // MARK: Named limits

    /// An id of exactly 1,024 bytes decodes; 1,025 bytes or an empty id is `invalidRequest`, in every
    /// request field that carries one (so the broker answers and keeps the connection).
    @Test func scheduleIDLimitsAreEnforcedByTheRequestDecoders() throws {
        let longest = String(repeating: "a", count: ScheduleLimits.maxScheduleIDBytes)
        let tooLong = longest + "b"
        // A multi-byte character takes the id over by bytes, not by characters.
        let tooLongUnicode = String(repeating: "é", count: 512) + "x"
        #expect(ScheduleLimits.problem(withScheduleID: longest) == nil)
        #expect(
            ScheduleLimits.problem(withScheduleID: tooLongUnicode)
                == "a schedule id is 1 to 1024 bytes of UTF-8, not 1025"
        )

        func schedule(_ id: String) -> ByteBuffer {
            ScheduleRequest(
                acks: .durable,
                topic: "t",
                entries: [.init(time: .after(milliseconds: 1), scheduleID: id, key: nil, value: nil)]
            ).encoded()
        }
        func cancel(_ id: String) -> ByteBuffer {
            CancelScheduleRequest(topic: "t", scheduleIDs: ["ok", id]).encoded()
        }

        #expect(try ScheduleRequest.decode(schedule(longest)).entries.first?.scheduleID == longest)
        #expect(try CancelScheduleRequest.decode(cancel(longest)).scheduleIDs.last == longest)
        for (id, size) in [(tooLong, "1025"), (tooLongUnicode, "1025"), ("", "empty")] {
            let scheduleError = #expect(throws: ProtocolError.self) { try ScheduleRequest.decode(schedule(id)) }
            #expect(scheduleError?.code == .invalidRequest)
            #expect(scheduleError?.message == "scheduleId: a schedule id is 1 to 1024 bytes of UTF-8, not \(size)")
            let cancelError = #expect(throws: ProtocolError.self) { try CancelScheduleRequest.decode(cancel(id)) }
            #expect(cancelError?.code == .invalidRequest)
            #expect(cancelError?.message == "scheduleId: a schedule id is 1 to 1024 bytes of UTF-8, not \(size)")
        }
    }

    /// The responses refuse the same ids as `malformedRequest`: a broker that sends one is broken.
    @Test func scheduleIDLimitsAreEnforcedByTheResponseDecoders() {
        let tooLong = String(repeating: "a", count: ScheduleLimits.maxScheduleIDBytes + 1)
        let bodies: [(ByteBuffer, @Sendable (ByteBuffer) throws -> any WireMessage)] = [
            (
                ScheduleResponse(entries: [.init(scheduleID: tooLong, partition: 0, deliverAt: 0)]).encoded(),
                { try ScheduleResponse.decode($0) }
            ),
            (
                ScheduleResponse(entries: [.init(scheduleID: "", partition: 0, deliverAt: 0)]).encoded(),
                { try ScheduleResponse.decode($0) }
            ),
            (
                ListSchedulesResponse(
                    pending: 1,
                    entries: [
                        .init(scheduleID: tooLong, partition: 0, deliverAt: 0, producedAt: 0, key: nil, valueBytes: 0)
                    ],
                    cursor: nil
                ).encoded(),
                { try ListSchedulesResponse.decode($0) }
            ),
        ]
        for (body, decode) in bodies {
            let error = #expect(throws: ProtocolError.self) { try decode(body) }
            #expect(error?.code == .malformedRequest)
            #expect(error?.message.hasPrefix("scheduleId: a schedule id is 1 to 1024 bytes") == true)
        }
    }

    @Test(arguments: [Int32(0), -1, 1001, .max, .min])
    func listLimitOutOfRangeIsInvalidRequest(_ limit: Int32) {
        let body = ListSchedulesRequest(topic: "t", limit: limit).encoded()
        let error = #expect(throws: ProtocolError.self) { try ListSchedulesRequest.decode(body) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message == "limit is 1 to 1000, not \(limit)")
    }

    @Test func listLimitBoundsDecode() throws {
        for limit in [Int32(1), ScheduleLimits.maxListLimit] {
            #expect(
                try ListSchedulesRequest.decode(ListSchedulesRequest(topic: "t", limit: limit).encoded()).limit == limit
            )
        }
    }

    @Test func listPrefixAndCursorLimits() throws {
        let prefix = String(repeating: "p", count: ScheduleLimits.maxScheduleIDBytes + 1)
        let prefixError = #expect(throws: ProtocolError.self) {
            try ListSchedulesRequest.decode(ListSchedulesRequest(topic: "t", idPrefix: prefix, limit: 1).encoded())
        }
        #expect(prefixError?.code == .invalidRequest)
        #expect(prefixError?.message == "idPrefix: 1025 bytes, longer than any schedule id (1024)")

        let cursor = ByteBuffer(repeating: 0, count: ScheduleLimits.maxCursorBytes + 1)
        let cursorError = #expect(throws: ProtocolError.self) {
            try ListSchedulesRequest.decode(ListSchedulesRequest(topic: "t", cursor: cursor, limit: 1).encoded())
        }
        #expect(cursorError?.code == .invalidRequest)
        #expect(cursorError?.message == "cursor: 4097 bytes, over the limit of 4096")

        let responseError = #expect(throws: ProtocolError.self) {
            try ListSchedulesResponse.decode(ListSchedulesResponse(pending: 0, entries: [], cursor: cursor).encoded())
        }
        #expect(responseError?.code == .malformedRequest)
        #expect(responseError?.message == "cursor: 4097 bytes, over the limit of 4096")
    }

    // MARK: Hostile bodies

    static let cases: [HostileBody] = [
        .init(ScheduleRequest.self, "acks 3", "03 00000000 0001 74 00000000", "acks: 3 is not one of 0, 1, 2"),
        .init(
            ScheduleRequest.self,
            "entry count",
            "02 00000000 0001 74 ffffffff",
            "entries: 4294967295 elements cannot fit in 0 bytes"
        ),
        .init(
            ScheduleRequest.self,
            "entry count past the bytes",
            "02 00000000 0001 74 00000002 ffffffff ffffffffffffffff 0000000000000001 ffff ffffffffffffffff ffffffff ffffffff 00000000",
            "entries: 2 elements cannot fit in 42 bytes"
        ),
        .init(
            ScheduleRequest.self,
            "header count",
            "02 00000000 0001 74 00000001 ffffffff ffffffffffffffff 0000000000000001 ffff ffffffffffffffff ffffffff ffffffff 7fffffff 0001 68",
            "headers: 2147483647 elements cannot fit in 3 bytes"
        ),
        .init(
            ScheduleRequest.self,
            "value length",
            "02 00000000 0001 74 00000001 ffffffff ffffffffffffffff 0000000000000001 ffff ffffffffffffffff ffffffff fffffffe 00000000",
            "value: length -2 with 4 bytes left"
        ),
        .init(
            CancelScheduleRequest.self,
            "id count",
            "0001 74 00000003 0003 6f3a31",
            "scheduleIds: 3 elements cannot fit in 5 bytes"
        ),
        .init(
            CancelScheduleRequest.self,
            "null id",
            "0001 74 00000001 ffff 00",
            "scheduleId: null where a string is required"
        ),
        .init(
            ListSchedulesRequest.self,
            "no limit",
            "0001 74 ffffffffffffffff ffff ffffffff",
            "limit: expected 4 bytes"
        ),
        .init(
            ScheduleResponse.self,
            "replaced 2",
            "00000001 0000 ffff 0003 6f3a31 00000002 0000000000000001 02",
            "replaced: 2 is not 0 or 1"
        ),
        .init(
            ScheduleResponse.self,
            "entry count",
            "00000002 0000 ffff ffff",
            "entries: 2 elements cannot fit in 6 bytes"
        ),
        .init(CancelScheduleResponse.self, "outcome 3", "00000001 03 0000 ffff", "outcome: 3 is not one of 0, 1, 2"),
        .init(CancelScheduleResponse.self, "outcome -1", "00000001 ff 0000 ffff", "outcome: -1 is not one of 0, 1, 2"),
        .init(
            ListSchedulesResponse.self,
            "entry count over the page limit",
            "0000000000000000 000003e9",
            "entries: 1001 schedules, over the page limit of 1000"
        ),
        .init(
            ListSchedulesResponse.self,
            "entry count past the bytes",
            "0000000000000000 00000002 0001 61 00000000 0000000000000000 0000000000000000 ffffffff 00000000 ffffffff",
            "entries: 2 elements cannot fit in 35 bytes"
        ),
        .init(
            ListSchedulesResponse.self,
            "null id",
            "0000000000000000 00000001 ffff 00000000 0000000000000000 0000000000000000 ffffffff 00000000 ffffffff",
            "scheduleId: null where a string is required"
        ),
    ]

    @Test(arguments: cases)
    func hostileBodiesAreRefused(_ body: HostileBody) {
        let error = #expect(throws: ProtocolError.self) { try body.decode(ByteBuffer(hex: body.hex)) }
        #expect(error?.code == .malformedRequest)
        #expect(error?.message == body.message)
    }
}
