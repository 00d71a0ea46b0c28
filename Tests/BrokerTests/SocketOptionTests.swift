import BrokerProtocol
import NIOCore
import NIOPosix
import Testing

@testable import Broker
@testable import BrokerClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// TCP_NODELAY is a TCP-level option. Set with `ChannelOptions.socketOption(.tcp_nodelay)` it lands
/// at `SOL_SOCKET` as option 1, `SO_DEBUG`: root may set it (so tests as root pass), anyone else
/// gets EACCES and the channel closes at once.
@Suite("socket options of the broker's and the client's channels")
struct SocketOptionTests {
    static let noDelay = ChannelOptions.Types.SocketOption(level: .tcp, name: .tcp_nodelay)
    static let debug = ChannelOptions.Types.SocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SO_DEBUG)

    @Test("the accepted channel and the client's channel have TCP_NODELAY at IPPROTO_TCP and not SO_DEBUG")
    func noDelayAtTheTCPLevel() async throws {
        try await withBroker { server, port in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            try await connection.connect()
            let client = try #require(await connection.channel)
            #expect(try await client.getOption(Self.noDelay).get() != 0, "client TCP_NODELAY")
            #expect(try await client.getOption(Self.debug).get() == 0, "client SO_DEBUG")

            let accepted = server.openConnections
            try #require(accepted.count == 1)
            #expect(try await accepted[0].getOption(Self.noDelay).get() != 0, "broker TCP_NODELAY")
            #expect(try await accepted[0].getOption(Self.debug).get() == 0, "broker SO_DEBUG")
            await connection.close()
        }
    }
}
