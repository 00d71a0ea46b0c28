import BrokerProtocol
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import BrokerClient

/// A broker in memory for the schedule APIs: records every request, and answers each with the
/// scripted handler (after a wire round trip of the request and the response, so that what the
/// client sends and reads is what a real connection carries).
final class ScheduleFakeTransport: BrokerTransport {
    typealias Handler = @Sendable (any WireMessage) throws -> any WireMessage

    let requests = Mutex<[any WireMessage]>([])
    let unanswered = Mutex<[any WireMessage]>([])
    let handler: Handler

    init(_ handler: @escaping Handler) { self.handler = handler }

    var maxFrameBytes: Int? { get async { 1 << 20 } }

    var sent: [any WireMessage] { requests.withLock { $0 } }

    func send<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as response: Response.Type,
        timeout: Duration?
    ) async throws -> Response {
        let received = try Request.decode(request.encoded())
        requests.withLock { $0.append(received) }
        let answer = try handler(received)
        guard let encoded = answer as? Response else {
            throw ClientError(.protocolViolation, "the fake answered \(type(of: answer)) for \(Request.self)")
        }
        do {
            return try Response.decode(encoded.encoded())
        } catch let error as ProtocolError {
            throw ClientError(.protocolViolation, error.message)
        }
    }

    func sendWithoutResponse<Request: WireMessage>(_ request: Request) async throws {
        let received = try Request.decode(request.encoded())
        unanswered.withLock { $0.append(received) }
    }
}

@Suite("ScheduleClient")
struct ScheduleClientTests {
    // MARK: schedule

    @Test func scheduleSendsEveryFieldAndReturnsResultsInOrder() async throws {
        let transport = ScheduleFakeTransport { request in
            let request = try #require(request as? ScheduleRequest)
            return ScheduleResponse(entries: [
                .init(scheduleID: "order-timeout:1", partition: 3, deliverAt: 1_000_000, replaced: true),
                .failure(.limitExceeded, "the broker holds maxPendingSchedules (10) pending schedules"),
                .init(scheduleID: "generated", partition: 0, deliverAt: request.entries.count == 3 ? 42 : 0),
            ])
        }
        let client = ScheduleClient(transport: transport)
        let results = try await client.schedule(
            topic: "orders",
            [
                DelayedMessage(
                    key: "1",
                    value: "timeout",
                    headers: [RecordHeader(key: "h", value: "x")],
                    partition: 3,
                    deliver: .at(epochMilliseconds: 1_000_000),
                    scheduleID: "order-timeout:1",
                    timestamp: 5
                ),
                DelayedMessage(value: nil, deliver: .after(.milliseconds(1500))),
                DelayedMessage(key: [0xFF, 0x00], value: "v", deliver: .after(.microseconds(999))),
            ],
            acks: .written,
            timeout: .seconds(2)
        )

        let request = try #require(transport.sent.first as? ScheduleRequest)
        #expect(request.acks == .written)
        #expect(request.timeoutMilliseconds == 2000)
        #expect(request.topic == "orders")
        #expect(
            request.entries == [
                .init(
                    partition: 3,
                    deliverAt: 1_000_000,
                    delayMilliseconds: nil,
                    scheduleID: "order-timeout:1",
                    timestamp: 5,
                    key: ByteBuffer(string: "1"),
                    value: ByteBuffer(string: "timeout"),
                    headers: [.init(key: "h", value: ByteBuffer(string: "x"))]
                ),
                .init(partition: nil, deliverAt: nil, delayMilliseconds: 1500),
                .init(
                    partition: nil,
                    deliverAt: nil,
                    delayMilliseconds: 0,
                    key: ByteBuffer(bytes: [0xFF, 0x00]),
                    value: ByteBuffer(string: "v")
                ),
            ]
        )

        #expect(results.count == 3)
        #expect(
            try results[0].get()
                == ScheduledMessage(scheduleID: "order-timeout:1", partition: 3, deliverAt: 1_000_000, replaced: true)
        )
        let failure = #expect(throws: ClientError.self) { try results[1].get() }
        #expect(failure?.code == .broker(.limitExceeded))
        #expect(failure?.message == "limit exceeded: the broker holds maxPendingSchedules (10) pending schedules")
        #expect(try results[2].get().scheduleID == "generated")
        #expect(try results[2].get().deliverAt == 42)
    }

    @Test func scheduleOneDefaultsToDurableAndThrowsTheEntryError() async throws {
        let transport = ScheduleFakeTransport { _ in
            ScheduleResponse(entries: [.failure(.invalidRequest, "deliverAt is 3 days in the past")])
        }
        let client = ScheduleClient(transport: transport)
        let error = await #expect(throws: ClientError.self) {
            try await client.schedule(topic: "t", value: "v", deliver: .at(epochMilliseconds: 1))
        }
        #expect(error?.code == .broker(.invalidRequest))
        #expect((transport.sent.first as? ScheduleRequest)?.acks == .durable)
    }

    @Test func acksNoneSendsWithoutWaitingAndReturnsNothing() async throws {
        let transport = ScheduleFakeTransport { _ in throw ClientError(.protocolViolation, "not expected") }
        let client = ScheduleClient(transport: transport)
        let results = try await client.schedule(
            topic: "t",
            [DelayedMessage(value: "v", deliver: .after(.seconds(1)))],
            acks: .none
        )
        #expect(results.isEmpty)
        #expect(transport.unanswered.withLock { $0.count } == 1)
        #expect(transport.sent.isEmpty)
        let error = await #expect(throws: ClientError.self) {
            try await client.schedule(topic: "t", value: "v", deliver: .after(.seconds(1)), acks: .none)
        }
        #expect(error?.code == .invalidArgument)
    }

    /// What the broker would refuse is refused before anything is sent.
    @Test(arguments: [
        (DelayedMessage(value: "v", deliver: .after(.milliseconds(-1))), "a delay of -0.001 seconds is negative"),
        (
            DelayedMessage(value: "v", deliver: .at(epochMilliseconds: -5)),
            "a delivery time of -5 ms is before the epoch"
        ),
        (DelayedMessage(value: "v", partition: -1, deliver: .after(.zero)), "partition -1 is negative"),
        (
            DelayedMessage(value: "v", deliver: .after(.zero), scheduleID: ""),
            "a schedule id is 1 to 1024 bytes of UTF-8, not empty"
        ),
        (
            DelayedMessage(value: "v", deliver: .after(.zero), scheduleID: String(repeating: "é", count: 513)),
            "a schedule id is 1 to 1024 bytes of UTF-8, not 1026"
        ),
        (DelayedMessage(value: "v", deliver: .after(.zero), timestamp: -2), "a timestamp of -2 is below -1"),
    ])
    func invalidMessagesAreRefusedBeforeSending(_ message: DelayedMessage, _ problem: String) async {
        let transport = ScheduleFakeTransport { _ in ScheduleResponse(entries: []) }
        let error = await #expect(throws: ClientError.self) {
            try await ScheduleClient(transport: transport).schedule(topic: "t", [message])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == problem)
        #expect(transport.sent.isEmpty)
    }

    @Test func aResponseOfTheWrongLengthIsAProtocolViolation() async {
        let transport = ScheduleFakeTransport { _ in ScheduleResponse(entries: []) }
        let error = await #expect(throws: ClientError.self) {
            try await ScheduleClient(transport: transport).schedule(topic: "t", value: "v", deliver: .after(.zero))
        }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message == "the broker answered 0 schedules for 1 sent")
    }

    @Test func aScheduledEntryWithoutAnIDIsAProtocolViolation() async {
        let transport = ScheduleFakeTransport { _ in
            ScheduleResponse(entries: [
                .init(errorCode: .none, errorMessage: nil, scheduleID: nil, partition: 0, deliverAt: 1, replaced: false)
            ])
        }
        let error = await #expect(throws: ClientError.self) {
            try await ScheduleClient(transport: transport).schedule(topic: "t", value: "v", deliver: .after(.zero))
        }
        #expect(error?.code == .protocolViolation)
    }

    @Test func deliveryDatesAreMilliseconds() throws {
        #expect(
            DeliveryTime.at(Date(timeIntervalSince1970: 1_795_802_700.123_9))
                == .at(epochMilliseconds: 1_795_802_700_123)
        )
        #expect(try DeliveryTime.after(.seconds(Int64.max)).wireTime() == .after(milliseconds: .max))
        let scheduled = ScheduledMessage(scheduleID: "a", partition: 0, deliverAt: 1500, replaced: false)
        #expect(scheduled.deliveryDate == Date(timeIntervalSince1970: 1.5))
    }

    // MARK: cancel

    @Test func cancelReturnsOneOutcomePerID() async throws {
        let transport = ScheduleFakeTransport { _ in
            CancelScheduleResponse(entries: [
                .init(outcome: .cancelled), .init(outcome: .alreadyDelivered), .init(outcome: .unknown),
                .failure(.storageError, "disk full"),
            ])
        }
        let client = ScheduleClient(transport: transport)
        let results = try await client.cancel(topic: "t", scheduleIDs: ["a", "b", "c", "d"])
        #expect(
            (transport.sent.first as? CancelScheduleRequest)
                == CancelScheduleRequest(topic: "t", scheduleIDs: ["a", "b", "c", "d"])
        )
        #expect(try results.prefix(3).map { try $0.get() } == [.cancelled, .alreadyDelivered, .unknown])
        let error = #expect(throws: ClientError.self) { try results[3].get() }
        #expect(error?.code == .broker(.storageError))
    }

    @Test func cancelOne() async throws {
        let transport = ScheduleFakeTransport { _ in
            CancelScheduleResponse(entries: [.init(outcome: .alreadyDelivered)])
        }
        #expect(try await ScheduleClient(transport: transport).cancel(topic: "t", scheduleID: "a") == .alreadyDelivered)
    }

    @Test func cancelRefusesBadIDsAndWrongLengths() async throws {
        let transport = ScheduleFakeTransport { _ in CancelScheduleResponse(entries: []) }
        let client = ScheduleClient(transport: transport)
        let invalid = await #expect(throws: ClientError.self) {
            try await client.cancel(topic: "t", scheduleIDs: ["ok", String(repeating: "x", count: 1025)])
        }
        #expect(invalid?.code == .invalidArgument)
        #expect(transport.sent.isEmpty)
        let violation = await #expect(throws: ClientError.self) { try await client.cancel(topic: "t", scheduleID: "a") }
        #expect(violation?.code == .protocolViolation)
        #expect(try await client.cancel(topic: "t", scheduleIDs: []).isEmpty)
    }

    // MARK: list

    static func entry(_ id: String, valueBytes: Int32 = 3) -> ListSchedulesResponse.Entry {
        .init(
            scheduleID: id,
            partition: 1,
            deliverAt: 20,
            producedAt: 10,
            key: ByteBuffer(string: "k"),
            valueBytes: valueBytes
        )
    }

    @Test func listPageSendsTheFiltersAndReadsThePage() async throws {
        let transport = ScheduleFakeTransport { _ in
            ListSchedulesResponse(
                pending: 7,
                entries: [Self.entry("a"), Self.entry("b", valueBytes: -1)],
                cursor: ByteBuffer(bytes: [1, 2])
            )
        }
        let page = try await ScheduleClient(transport: transport).listPage(
            topic: "t",
            dueBefore: 99,
            idPrefix: "a",
            limit: 2
        )
        #expect(
            (transport.sent.first as? ListSchedulesRequest)
                == ListSchedulesRequest(topic: "t", dueBefore: 99, idPrefix: "a", cursor: nil, limit: 2)
        )
        #expect(page.pending == 7)
        #expect(page.schedules.map(\.scheduleID) == ["a", "b"])
        #expect(page.schedules.map(\.valueBytes) == [3, nil])
        #expect(page.schedules.first?.key == ByteBuffer(string: "k"))
        #expect(page.next == ScheduleCursor(bytes: ByteBuffer(bytes: [1, 2])))
    }

    @Test(arguments: [0, -1, 1001, Int(Int32.max) + 1])
    func listPageRefusesLimitsOutOfRange(_ limit: Int) async {
        let transport = ScheduleFakeTransport { _ in ListSchedulesResponse(pending: 0, entries: [], cursor: nil) }
        let error = await #expect(throws: ClientError.self) {
            try await ScheduleClient(transport: transport).listPage(topic: "t", limit: limit)
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "limit is 1 to 1000, not \(limit)")
        #expect(transport.sent.isEmpty)
    }

    @Test func listPageRefusesMoreEntriesThanAsked() async {
        let transport = ScheduleFakeTransport { _ in
            ListSchedulesResponse(pending: 2, entries: [Self.entry("a"), Self.entry("b")], cursor: nil)
        }
        let error = await #expect(throws: ClientError.self) {
            try await ScheduleClient(transport: transport).listPage(topic: "t", limit: 1)
        }
        #expect(error?.code == .protocolViolation)
    }

    /// The pages follow the cursors, each request sending the previous page's cursor, until a page
    /// without one.
    @Test func pagesFollowTheCursorsToTheEnd() async throws {
        let transport = ScheduleFakeTransport { request in
            let request = try #require(request as? ListSchedulesRequest)
            #expect(request.limit == 2 && request.dueBefore == 5)
            switch request.cursor.map({ Array($0.readableBytesView) }) {
            case nil:
                return ListSchedulesResponse(
                    pending: 5,
                    entries: [Self.entry("a"), Self.entry("b")],
                    cursor: ByteBuffer(bytes: [1])
                )
            case [1]:
                return ListSchedulesResponse(pending: 5, entries: [Self.entry("c")], cursor: ByteBuffer(bytes: [2]))
            case [2]: return ListSchedulesResponse(pending: 4, entries: [Self.entry("d")], cursor: nil)
            default: throw ClientError(.invalidArgument, "unexpected cursor")
            }
        }
        var ids: [String] = []
        var pending: [Int64] = []
        for try await page in ScheduleClient(transport: transport).pages(topic: "t", dueBefore: 5, pageSize: 2) {
            ids += page.schedules.map(\.scheduleID)
            pending.append(page.pending)
        }
        #expect(ids == ["a", "b", "c", "d"])
        #expect(pending == [5, 5, 4])
        #expect(transport.sent.count == 3)
    }

    /// A broker that hands back the cursor it was sent would make the listing loop forever.
    @Test func pagesStopOnACursorThatDoesNotMove() async throws {
        let transport = ScheduleFakeTransport { _ in
            ListSchedulesResponse(pending: 1, entries: [], cursor: ByteBuffer(bytes: [9]))
        }
        var iterator = ScheduleClient(transport: transport).pages(topic: "t").makeAsyncIterator()
        #expect(try await iterator.next()?.next == ScheduleCursor(bytes: ByteBuffer(bytes: [9])))
        let error = await #expect(throws: ClientError.self) { try await iterator.next() }
        #expect(error?.code == .protocolViolation)
        #expect(try await iterator.next() == nil)
        #expect(transport.sent.count == 2)
    }
}
