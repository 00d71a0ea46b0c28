import NIOCore
import NIOPosix

extension ServerBootstrap {
    /// A server bootstrap with the socket options both listeners (native and Kafka) use: backlog
    /// 256, `SO_REUSEADDR`, `TCP_NODELAY`, 16 reads per wakeup, and the write-buffer water marks
    /// of `limits` (a connection stops being read while its unsent responses are above the high mark).
    static func sluiceListener(group: any EventLoopGroup, limits: BrokerLimits) -> ServerBootstrap {
        let waterMark = ChannelOptions.Types.WriteBufferWaterMark(
            low: limits.writeBufferLowWaterMarkBytes,
            high: max(limits.writeBufferLowWaterMarkBytes, limits.writeBufferHighWaterMarkBytes)
        )
        return ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // TCP_NODELAY lives at IPPROTO_TCP: `.socketOption(.tcp_nodelay)` would set option 1 at
            // SOL_SOCKET, which is SO_DEBUG (root only; EACCES closes every connection otherwise).
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: waterMark)
    }
}
