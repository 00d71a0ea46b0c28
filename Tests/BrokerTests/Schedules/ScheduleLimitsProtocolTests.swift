import BrokerClient
import BrokerProtocol
import Foundation
import NIOCore
import Testing

@testable import Broker

/// The schedule limits at their edges, through the protocol: `maxPendingSchedules` reached in the
/// middle of a request, and schedule ids of exactly 1,024 and 1,025 bytes.
@Suite("Schedules: limits at the edge, through the protocol")
struct ScheduleLimitsProtocolTests {
    typealias Support = ScheduleTestSupport

    static func message(_ n: Int, due: Int64, id: String? = nil) -> DelayedMessage {
        DelayedMessage(key: "k\(n)", value: "v\(n)", deliver: .at(epochMilliseconds: due), scheduleID: id ?? "s\(n)")
    }

    /// 98 pending of a limit of 100; a request of five new schedules and a reschedule: the first
    /// two new ones are taken, the other three refused with `limitExceeded` naming the limit, the
    /// reschedule taken; nothing taken before is lost (all 100 listed), everything taken fires
    /// once when it is rescheduled to now, and once they have fired new ones are taken again.
    /// (Due an hour ahead until then, so that a slow machine changes nothing.)
    @Test("maxPendingSchedules reached in a request: limitExceeded for the rest, nothing else lost")
    func pendingLimitMidRequest() async throws {
        try await withBroker({ $0.schedules.maxPendingSchedules = 100 }) { server, port in
            try await Support.createTopic("orders", partitions: 2, on: server)
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            defer { Task { await connection.close() } }
            let client = ScheduleClient(transport: connection)
            let due = Support.now + 3_600_000
            for answer in try await client.schedule(topic: "orders", (0..<98).map { Self.message($0, due: due) }) {
                _ = try answer.get()
            }
            let answers = try await client.schedule(
                topic: "orders",
                (98..<103).map { Self.message($0, due: due) } + [Self.message(0, due: due + 100, id: "s0")]
            )
            #expect(answers.count == 6)
            for answer in answers[0..<2] { #expect((try? answer.get()) != nil, "\(answer)") }
            for answer in answers[2..<5] {
                guard case .failure(let error) = answer else {
                    Issue.record("a schedule was taken past the limit: \(answer)")
                    continue
                }
                #expect(error.code == .broker(.limitExceeded), "\(error)")
                #expect(error.description.contains("limit of 100 pending schedules (maxPendingSchedules)"), "\(error)")
            }
            #expect((try? answers[5].get())?.replaced == true, "\(answers[5])")
            let page = try await client.listPage(topic: "orders", limit: 1_000)
            #expect(page.pending == 100)
            #expect(Set(page.schedules.map(\.scheduleID)) == Set((0..<100).map { "s\($0)" }), "nothing taken is lost")
            #expect(page.schedules.first { $0.scheduleID == "s0" }?.deliverAt == due + 100)
            #expect(
                try await client.schedule(topic: "orders", [Self.message(103, due: due)]).first.map {
                    (try? $0.get()) == nil
                } == true,
                "still full"
            )

            // Rescheduled to now (a reschedule needs no room): each fires once.
            let now = Support.now
            for answer in try await client.schedule(topic: "orders", (0..<100).map { Self.message($0, due: now) }) {
                #expect((try? answer.get())?.replaced == true, "\(answer)")
            }
            _ = try await Support.read("orders", port: port, atLeast: 100)
            let scheduler = try await server.openedScheduler()
            try await Support.waitUntil(scheduler, "nothing pending") { $0.pendingTotal == 0 }
            let ids = try await Support.read("orders", port: port).map { Support.header(ScheduleHeader.id, of: $0) }
            #expect(Set(ids) == Set((0..<100).map { "s\($0)" }), "every schedule taken fires")
            #expect(ids.count == 100, "each once")

            // Room again once they fired.
            let later = try await client.schedule(topic: "orders", [Self.message(200, due: Support.now + 60_000)])
            #expect((try? later[0].get()) != nil, "\(later)")
        }
    }

    /// Ids are counted in UTF-8 bytes: 1,024 bytes are taken (ASCII or two-byte characters),
    /// 1,025 are refused with request-level `invalidRequest` naming the field and the limit, and
    /// the connection stays open.
    @Test(
        "a schedule id of 1,024 bytes is taken, 1,025 refused with invalidRequest and the connection stays open",
        arguments: [
            (String(repeating: "x", count: 1_024), String(repeating: "x", count: 1_025)),
            (String(repeating: "é", count: 512), String(repeating: "x", count: 1_023) + "é"),
        ]
    )
    func scheduleIDLength(longest: String, tooLong: String) async throws {
        #expect(longest.utf8.count == 1_024 && tooLong.utf8.count == 1_025)
        try await withBroker { server, port in
            try await Support.createTopic("orders", on: server)
            let connection = try await TestConnection(port: port)
            func entry(_ id: String) -> ScheduleRequest.Entry {
                ScheduleRequest.Entry(
                    time: .after(milliseconds: 60_000),
                    scheduleID: id,
                    key: ByteBuffer(string: "k"),
                    value: ByteBuffer(string: "v")
                )
            }
            try await connection.send(
                ScheduleRequest(acks: .durable, topic: "orders", entries: [entry(tooLong)]),
                correlationID: 1
            )
            let refused = try await connection.response(1)
            #expect(refused.errorCode == .invalidRequest)
            #expect(
                refused.errorMessage == "scheduleId: a schedule id is 1 to 1024 bytes of UTF-8, not 1025",
                "\(refused.errorMessage ?? "")"
            )
            // A longest id alone, and with the over-long one in the same request (refused whole).
            try await connection.send(
                ScheduleRequest(acks: .durable, topic: "orders", entries: [entry(longest), entry(tooLong)]),
                correlationID: 2
            )
            #expect(try await connection.response(2).errorCode == .invalidRequest)
            let taken = try await connection.call(
                ScheduleRequest(acks: .durable, topic: "orders", entries: [entry(longest)]),
                as: ScheduleResponse.self
            )
            #expect(taken.entries.map(\.errorCode) == [.none])
            #expect(taken.entries.first?.scheduleID == longest)
            #expect(!connection.isClosed)

            let pending = try await connection.call(
                ListSchedulesRequest(topic: "orders", dueBefore: nil, idPrefix: longest, cursor: nil, limit: 10),
                as: ListSchedulesResponse.self
            )
            #expect(pending.pending == 1)
            #expect(pending.entries.map(\.scheduleID) == [longest])
            let cancelled = try await connection.call(
                CancelScheduleRequest(topic: "orders", scheduleIDs: [longest]),
                as: CancelScheduleResponse.self
            )
            #expect(cancelled.entries.map(\.outcome) == [.cancelled])
            try await connection.send(CancelScheduleRequest(topic: "orders", scheduleIDs: [tooLong]), correlationID: 3)
            #expect(try await connection.response(3).errorCode == .invalidRequest)
            // An empty id (2 bytes on the wire, found by the outside client): invalidRequest too, not
            // malformedRequest, and the connection stays open.
            for (number, ids) in [[""], ["a", "", "a"]].enumerated() {
                try await connection.send(
                    CancelScheduleRequest(topic: "orders", scheduleIDs: ids),
                    correlationID: UInt32(10 + number)
                )
                let empty = try await connection.response(UInt32(10 + number))
                #expect(empty.errorCode == .invalidRequest, "\(ids): \(empty.errorMessage ?? "")")
                #expect(!connection.isClosed)
            }
            try await connection.send(
                ListSchedulesRequest(topic: "orders", dueBefore: nil, idPrefix: tooLong, cursor: nil, limit: 10),
                correlationID: 4
            )
            #expect(try await connection.response(4).errorCode == .invalidRequest)
            #expect(!connection.isClosed)
        }
    }
}
