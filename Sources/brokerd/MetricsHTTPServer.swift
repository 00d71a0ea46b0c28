import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The operations endpoint: `GET /metrics` (Prometheus text format) and `GET /healthz`
/// (`200 ok` while the broker is serving, `503` otherwise). Anything else is `404`.
struct MetricsHTTPServer: Service {
    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    let isHealthy: @Sendable () -> Bool
    let logger: Logger

    func run() async throws {
        let registry = self.registry
        let isHealthy = self.isHealthy
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        OperationsHandler(registry: registry, isHealthy: isHealthy)
                    )
                }
            }
            .bind(host: host, port: port)
            .get()
        logger.info("metrics and health listening", metadata: ["address": "\(host):\(port)"])
        try? await gracefulShutdown()
        try await channel.close()
    }
}

private final class OperationsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let isHealthy: @Sendable () -> Bool
    private var path = ""

    init(registry: PrometheusCollectorRegistry, isHealthy: @escaping @Sendable () -> Bool) {
        self.registry = registry
        self.isHealthy = isHealthy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = head.uri
        case .body:
            break
        case .end:
            let (status, contentType, body): (HTTPResponseStatus, String, [UInt8])
            switch path {
            case "/metrics":
                (status, contentType, body) = (.ok, "text/plain; version=0.0.4", registry.emitToBuffer())
            case "/healthz":
                let healthy = isHealthy()
                (status, contentType, body) = (
                    healthy ? .ok : .serviceUnavailable, "text/plain", Array((healthy ? "ok\n" : "starting\n").utf8)
                )
            default:
                (status, contentType, body) = (.notFound, "text/plain", Array("not found\n".utf8))
            }
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
}
