import BrokerProtocol
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// A group member on the wire for runs of many thousand requests: requests are written without
/// waiting (pipelined), answers are kept by correlation id and pushes in arrival order, each taken
/// once in O(1) (`RawMember` scans every frame it holds per answer, which is quadratic here).
final class BulkGroupMember {
    struct Delivery: Hashable {
        var partition: Int32
        var offset: Int64
        var deliveryCount: Int32
    }

    private final class Inbox: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        struct State {
            var answers: [UInt32: ResponseFrame] = [:]
            var pushes: [ResponseFrame] = []
            var isClosed = false
        }
        let state = NIOLockedValueBox(State())

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let frame = try? ResponseFrame(payload: unwrapInboundIn(data)) else { return }
            state.withLockedValue { state in
                if frame.correlationID == PushFrame.correlationID {
                    state.pushes.append(frame)
                } else {
                    state.answers[frame.correlationID] = frame
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.isClosed = true }
        }
    }

    private let channel: any Channel
    private let inbox = Inbox()
    private var nextCorrelationID: UInt32 = 1
    private(set) var subscriptionID: UInt32 = 0

    init(port: Int) async throws {
        channel = try await connectFramed(port: port, to: inbox)
    }

    deinit { channel.close(promise: nil) }

    var isClosed: Bool { inbox.state.withLockedValue { $0.isClosed } }

    /// Writes a request (flushed by ``flush()``); its correlation id.
    @discardableResult
    func write<M: WireMessage>(_ message: M) -> UInt32 {
        let correlationID = nextCorrelationID
        nextCorrelationID += 1
        var buffer = channel.allocator.buffer(capacity: 64)
        RequestFrame(
            header: RequestHeader(apiKey: M.apiKey, apiVersion: 0, correlationID: correlationID),
            body: message.encoded()
        ).write(into: &buffer)
        channel.write(buffer, promise: nil)
        return correlationID
    }

    func flush() { channel.flush() }

    /// Sends a request and waits (bounded) for its answer.
    func call<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as: Response.Type
    ) async throws
        -> Response
    {
        let correlationID = write(request)
        flush()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let frame = takeAnswers([correlationID])[correlationID] {
                guard frame.errorCode == .none else {
                    throw TestFailure("request-level error \(frame.errorCode): \(frame.errorMessage ?? "")")
                }
                return try Response.decode(frame.body)
            }
            if isClosed { throw TestFailure("connection closed before answer \(correlationID)") }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw TestFailure("no answer \(correlationID) within 60 s")
    }

    func subscribe(group: String, topics: [String], settings: RequestedGroupSettings, credits: UInt32) async throws {
        let response = try await call(
            SubscribeRequest(
                group: group,
                topics: topics,
                startAt: .earliest,
                settings: settings,
                initialCredits: credits
            ),
            as: SubscribeResponse.self
        )
        subscriptionID = response.subscriptionID
    }

    /// The answers among `correlationIDs` that have arrived, removed from the inbox.
    func takeAnswers(_ correlationIDs: some Sequence<UInt32>) -> [UInt32: ResponseFrame] {
        inbox.state.withLockedValue { state in
            var taken: [UInt32: ResponseFrame] = [:]
            for id in correlationIDs {
                if let frame = state.answers.removeValue(forKey: id) { taken[id] = frame }
            }
            return taken
        }
    }

    /// The deliveries of the pushes that have arrived, in order, removed from the inbox.
    func takeDeliveries() throws -> [Delivery] {
        let frames = inbox.state.withLockedValue { state in
            defer { state.pushes.removeAll() }
            return state.pushes
        }
        var deliveries: [Delivery] = []
        for frame in frames {
            let push = try DeliverPush(try PushFrame(frame))
            for delivery in push.deliveries {
                deliveries.append(
                    Delivery(partition: push.partition, offset: delivery.offset, deliveryCount: delivery.deliveryCount)
                )
            }
        }
        return deliveries
    }
}
