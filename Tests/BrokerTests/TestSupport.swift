import Broker
import BrokerProtocol
import Foundation
import LogStore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RecordCodec
import Testing

/// A broker on an ephemeral 127.0.0.1 port in a scratch directory, shut down and removed afterwards.
func withBroker<T>(
    _ configure: (inout BrokerConfiguration) -> Void = { _ in },
    _ body: (BrokerServer, Int) async throws -> T
) async throws -> T {
    let directory = NSTemporaryDirectory() + "sluice-broker-test-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
    configure(&configuration)
    return try await BrokerServer.withServer(configuration: configuration) { server in
        try await body(server, try #require(server.localPort))
    }
}

/// A TCP connection to 127.0.0.1:`port` whose frames (up to 64 MiB) go to `handler`.
func connectFramed(port: Int, to handler: some ChannelInboundHandler & Sendable) async throws -> any Channel {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandlers(
                    ByteToMessageHandler(FrameDecoder(maxFrameBytes: 64 << 20)),
                    handler
                )
            }
        }
        .connect(host: "127.0.0.1", port: port)
        .get()
}

/// A bare protocol connection for tests: sends frames, collects response frames by correlation id.
/// Independent of BrokerClient, so that broker tests do not depend on the client's behaviour.
final class TestConnection: Sendable {
    let channel: any Channel
    private let inbox: Inbox

    final class Inbox: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let frames = NIOLockedValueBox<[ByteBuffer]>([])
        let closed = NIOLockedValueBox(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            frames.withLockedValue { $0.append(frame) }
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

    /// Sends raw bytes.
    func sendRaw(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Sends a request without waiting.
    func send<M: WireMessage>(_ message: M, correlationID: UInt32, version: UInt16 = 0) async throws {
        var buffer = ByteBuffer()
        RequestFrame(
            header: RequestHeader(apiKey: M.apiKey, apiVersion: version, correlationID: correlationID),
            body: message.encoded()
        ).write(into: &buffer)
        try await channel.writeAndFlush(buffer)
    }

    /// Waits (bounded: a full parallel test run on 2 cores can hold a response up for seconds) for
    /// the response with `correlationID`.
    func response(_ correlationID: UInt32, timeoutSeconds: Double = 60) async throws -> ResponseFrame {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            let found = inbox.frames.withLockedValue { frames -> ResponseFrame? in
                guard
                    let index = frames.firstIndex(where: {
                        (try? ResponseFrame(payload: $0))?.correlationID == correlationID
                    })
                else { return nil }
                return try? ResponseFrame(payload: frames.remove(at: index))
            }
            if let found { return found }
            if isClosed { throw TestFailure("connection closed before response \(correlationID)") }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw TestFailure("no response \(correlationID) within \(timeoutSeconds) s")
    }

    /// Sends a request and decodes its response, failing on a request-level error.
    func call<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as: Response.Type,
        correlationID: UInt32 = UInt32.random(in: 1...UInt32.max)
    ) async throws -> Response {
        try await send(request, correlationID: correlationID)
        let frame = try await response(correlationID)
        guard frame.errorCode == .none else {
            throw TestFailure("request-level error \(frame.errorCode): \(frame.errorMessage ?? "")")
        }
        return try Response.decode(frame.body)
    }

    /// Waits (bounded) until the broker closes the connection.
    func waitUntilClosed(timeoutSeconds: Double = 20) async throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while !isClosed {
            guard Date() < deadline else { throw TestFailure("connection still open after \(timeoutSeconds) s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Frames received and not yet claimed.
    var pendingFrames: [ResponseFrame] {
        inbox.frames.withLockedValue { $0.compactMap { try? ResponseFrame(payload: $0) } }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Encodes records as one batch's bytes.
func batchBytes(
    _ values: [String],
    key: String? = nil,
    headers: [RecordHeader] = [],
    producer: ProducerIdentity = .none,
    timestamp: Int64 = 1_000
) -> ByteBuffer {
    let records = values.map {
        Record(
            key: key.map { ByteBuffer(string: $0) },
            value: ByteBuffer(string: $0),
            headers: headers,
            timestamp: timestamp
        )
    }
    return RecordBatch(records: records, producer: producer).buffer
}

/// Decodes every record in fetched bytes.
func decodeRecords(_ bytes: ByteBuffer) throws -> [Record] {
    var bytes = bytes
    var records: [Record] = []
    while let batch = try RecordBatch.next(from: &bytes) { records.append(contentsOf: try batch.records()) }
    guard bytes.readableBytes == 0 else { throw TestFailure("truncated batch") }
    return records
}
