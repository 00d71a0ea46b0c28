import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The operations endpoint: `GET /metrics` (Prometheus text format) and `GET /healthz`
/// (`200 ok` while the broker is serving, `503` otherwise). Anything else is `404`.
///
/// ``bind(host:port:registry:beforeScrape:isHealthy:logger:)`` listens at once, so that a busy
/// port stops `brokerd` before the broker touches its data directory; ``run()`` serves until
/// graceful shutdown.
///
/// Its connections come out of the broker's descriptor reserve, so they are bounded: at most
/// ``maxConnections`` at once (more are closed at once) and each closed after ``idleTimeout``
/// without a request.
struct MetricsHTTPServer: Service {
    /// Open connections at most; Prometheus needs one per scrape.
    static let maxConnections = 16
    /// A connection that sends no request for this long is closed.
    static let idleTimeout: TimeAmount = .seconds(30)

    let channel: any Channel
    let logger: Logger

    /// The address actually bound (the port is known even when `0` was asked for).
    var localAddress: String {
        guard let address = channel.localAddress, let ip = address.ipAddress, let port = address.port else {
            return "?"
        }
        return "\(ip):\(port)"
    }

    /// Listens on `host:port`; `beforeScrape` runs before each `/metrics` answer (process metrics,
    /// the broker's operations gauges), which waits for it.
    static func bind(
        host: String,
        port: Int,
        registry: PrometheusCollectorRegistry,
        beforeScrape: @escaping @Sendable () async -> Void,
        isHealthy: @escaping @Sendable () -> Bool,
        logger: Logger
    ) async throws -> MetricsHTTPServer {
        let connections = ConnectionCount()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard connections.open(limit: Self.maxConnections) else { return channel.close() }
                channel.closeFuture.whenComplete { _ in connections.close() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: Self.idleTimeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        OperationsHandler(registry: registry, beforeScrape: beforeScrape, isHealthy: isHealthy)
                    )
                }
            }
            .bind(host: host, port: port)
            .get()
        let server = MetricsHTTPServer(channel: channel, logger: logger)
        logger.info("metrics and health listening", metadata: ["address": "\(server.localAddress)"])
        return server
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await channel.close()
    }

    /// Stops listening (when the broker could not start).
    func close() async {
        try? await channel.close()
    }
}

/// The metrics server's open connections.
private final class ConnectionCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    /// Counts a new connection; `false` (not counted) at `limit`.
    func open(limit: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard count < limit else { return false }
        count += 1
        return true
    }

    func close() {
        lock.lock()
        count -= 1
        lock.unlock()
    }
}

private final class OperationsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let beforeScrape: @Sendable () async -> Void
    let isHealthy: @Sendable () -> Bool
    private var path = ""

    init(
        registry: PrometheusCollectorRegistry,
        beforeScrape: @escaping @Sendable () async -> Void,
        isHealthy: @escaping @Sendable () -> Bool
    ) {
        self.registry = registry
        self.beforeScrape = beforeScrape
        self.isHealthy = isHealthy
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.prefix { $0 != "?" })
        case .body:
            break
        case .end where path == "/metrics":
            // The scrape waits for the gauges to be set (on other loops), then answers on this one.
            let prepared = context.eventLoop.makePromise(of: Void.self)
            prepared.completeWithTask(beforeScrape)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let registry = self.registry
            prepared.futureResult.whenComplete { _ in
                let (handler, context) = bound.value
                handler.respond(context, .ok, "text/plain; version=0.0.4", registry.emitToBuffer())
            }
        case .end:
            let (status, contentType, body): (HTTPResponseStatus, String, [UInt8])
            switch path {
            case "/healthz":
                let healthy = isHealthy()
                (status, contentType, body) = (
                    healthy ? .ok : .serviceUnavailable, "text/plain", Array((healthy ? "ok\n" : "starting\n").utf8)
                )
            default:
                (status, contentType, body) = (.notFound, "text/plain", Array("not found\n".utf8))
            }
            respond(context, status, contentType, body)
        }
    }

    private func respond(
        _ context: ChannelHandlerContext,
        _ status: HTTPResponseStatus,
        _ contentType: String,
        _ body: [UInt8]
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension OperationsHandler: Sendable {}
