import BrokerProtocol
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A raw native-protocol connection for the stateful fuzzer: responses by correlation id, `deliver`
/// pushes kept apart (the offsets delivered, per subscription, so that acks can name them).
final class FuzzConnection: Sendable {
    let channel: any Channel
    private let inbox: Inbox

    /// A message a `deliver` push handed out.
    struct Delivered: Hashable, Sendable {
        var subscriptionID: UInt32
        var topic: String
        var partition: Int32
        var offset: Int64
    }

    final class Inbox: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let responses = NIOLockedValueBox<[UInt32: ResponseFrame]>([:])
        let delivered = NIOLockedValueBox<[Delivered]>([])
        /// Every delivery ever received, counted (the list keeps the last 4,096).
        let deliveredTotal = NIOLockedValueBox(0)
        let problems = NIOLockedValueBox<[String]>([])
        let closed = NIOLockedValueBox(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            do {
                let frame = try ResponseFrame(payload: unwrapInboundIn(data))
                if frame.correlationID == PushFrame.correlationID {
                    let push = try DeliverPush(PushFrame(frame))
                    let offsets = push.deliveries.map {
                        Delivered(
                            subscriptionID: push.subscriptionID,
                            topic: push.topic,
                            partition: push.partition,
                            offset: $0.offset
                        )
                    }
                    deliveredTotal.withLockedValue { $0 += offsets.count }
                    delivered.withLockedValue {
                        $0.append(contentsOf: offsets)
                        if $0.count > 4096 { $0.removeFirst($0.count - 4096) }
                    }
                } else {
                    responses.withLockedValue { $0[frame.correlationID] = frame }
                }
            } catch {
                problems.withLockedValue { $0.append("undecodable frame from the broker: \(error)") }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
        }
    }

    init(port: Int) async throws {
        let inbox = Inbox()
        self.inbox = inbox
        channel = try await connectFramed(port: port, to: inbox)
    }

    deinit { channel.close(promise: nil) }

    var isClosed: Bool { inbox.closed.withLockedValue { $0 } }

    /// Frames the broker sent that did not decode as a response or a `deliver` push.
    var problems: [String] { inbox.problems.withLockedValue { $0 } }

    /// The most recent deliveries (at most 4,096).
    var delivered: [Delivered] { inbox.delivered.withLockedValue { $0 } }

    /// The deliveries received after the first `count` ever received, and the new count.
    func deliveries(after count: Int) -> (new: [Delivered], total: Int) {
        inbox.delivered.withLockedValue { list in
            let total = inbox.deliveredTotal.withLockedValue { $0 }
            return (Array(list.suffix(min(list.count, max(0, total - count)))), total)
        }
    }

    func send<M: WireMessage>(_ message: M, correlationID: UInt32) async throws {
        var buffer = ByteBuffer()
        RequestFrame(
            header: RequestHeader(apiKey: M.apiKey, apiVersion: 0, correlationID: correlationID),
            body: message.encoded()
        ).write(into: &buffer)
        try await channel.writeAndFlush(buffer)
    }

    /// Sends a frame whose body is written by hand (for a body the typed encoders cannot express).
    func send(apiKey: APIKey, body: ByteBuffer, correlationID: UInt32) async throws {
        var buffer = ByteBuffer()
        RequestFrame(header: RequestHeader(apiKey: apiKey, apiVersion: 0, correlationID: correlationID), body: body)
            .write(into: &buffer)
        try await channel.writeAndFlush(buffer)
    }

    /// The response to `correlationID`, or `nil` when the connection closed first; throws when
    /// neither happens within `timeoutSeconds`.
    func response(_ correlationID: UInt32, timeoutSeconds: Double) async throws -> ResponseFrame? {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let frame = inbox.responses.withLockedValue({ $0.removeValue(forKey: correlationID) }) { return frame }
            if isClosed {
                return inbox.responses.withLockedValue { $0.removeValue(forKey: correlationID) }
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw TestFailure("no response to correlation id \(correlationID) within \(timeoutSeconds) s")
    }
}
