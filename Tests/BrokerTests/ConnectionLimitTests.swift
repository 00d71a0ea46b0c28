import BrokerProtocol
import Foundation
import NIOCore
import Testing

@testable import Broker
@testable import BrokerClient

/// `maxConnections`, the idle timeout and the frame timeout, through real sockets.
@Suite("connection limit and connection timeouts")
struct ConnectionLimitTests {
    @Test("a connection over maxConnections is answered limitExceeded and closed at once; a freed slot is reused")
    func overTheLimit() async throws {
        try await withBroker({ $0.limits.maxConnections = 2 }) { server, port in
            let first = try await TestConnection(port: port)
            let second = try await TestConnection(port: port)
            _ = try await first.call(HandshakeRequest(clientName: "first"), as: HandshakeResponse.self)
            _ = try await second.call(HandshakeRequest(clientName: "second"), as: HandshakeResponse.self)

            let third = try await TestConnection(port: port)
            let refusal = try await third.response(0, timeoutSeconds: 20)
            #expect(refusal.errorCode == .limitExceeded)
            #expect(refusal.errorMessage?.contains("maxConnections (2)") == true, "\(refusal.errorMessage ?? "")")
            try await third.waitUntilClosed()

            // The client library reports it too, at once.
            let client = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            await #expect {
                try await client.connect()
            } throws: { error in
                "\(error)".contains("maxConnections")
            }
            await client.close()

            try await first.channel.close()
            try await waitUntil { server.openConnections.count == 1 }
            let fourth = try await TestConnection(port: port)
            _ = try await fourth.call(HandshakeRequest(clientName: "fourth"), as: HandshakeResponse.self)
        }
    }

    @Test("many connections over the limit are each refused and closed; none is left open")
    func manyOverTheLimit() async throws {
        try await withBroker({ $0.limits.maxConnections = 5 }) { server, port in
            var kept: [TestConnection] = []
            for index in 0..<5 {
                let connection = try await TestConnection(port: port)
                _ = try await connection.call(HandshakeRequest(clientName: "\(index)"), as: HandshakeResponse.self)
                kept.append(connection)
            }
            var refused: [TestConnection] = []
            for _ in 0..<50 { refused.append(try await TestConnection(port: port)) }
            for connection in refused {
                #expect(try await connection.response(0).errorCode == .limitExceeded)
                try await connection.waitUntilClosed()
            }
            #expect(server.openConnections.count == 5)
            let status = try await kept[0].call(BrokerStatusRequest(), as: BrokerStatusResponse.self)
            #expect(status.connectionCount == 5)
        }
    }

    @Test("a connection that sends nothing is closed after the idle timeout")
    func idleTimeout() async throws {
        try await withBroker({ $0.idleTimeoutMilliseconds = 200 }) { server, port in
            // Nothing is sent: a request racing the 200 ms timer on a loaded machine would make the
            // test flaky (the idle timer restarting after an answer is covered by ConnectionHandlerTests).
            let connection = try await TestConnection(port: port)
            try await connection.waitUntilClosed(timeoutSeconds: 30)
            try await waitUntil { server.openConnections.isEmpty }
        }
    }

    @Test("the client reconnects by itself after the broker closed its idle connection")
    func clientAfterIdleClose() async throws {
        // 5 s: long enough for the reconnect's handshake and request even on a loaded 2-core machine.
        try await withBroker({ $0.idleTimeoutMilliseconds = 5_000 }) { server, port in
            let client = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            try await client.connect()
            try await waitUntil { server.openConnections.isEmpty }
            // A request written while the broker's FIN is still on its way fails like any request on a
            // connection that breaks (docs/PROTOCOL.md, "Connection timeouts"); wait until the client has seen it.
            let deadline = Date().addingTimeInterval(20)
            while await client.channel?.isActive == true, Date() < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            let topics = try await client.send(ListTopicsRequest(), as: ListTopicsResponse.self, timeout: .seconds(10))
            #expect(topics.topics.isEmpty)
            await client.close()
        }
    }

    @Test("a frame announced and never finished is answered requestTimedOut and closed")
    func unfinishedFrame() async throws {
        try await withBroker({ $0.frameTimeoutMilliseconds = 200 }) { _, port in
            let connection = try await TestConnection(port: port)
            // 16 MiB announced (the limit), 10 bytes sent.
            try await connection.sendRaw([0x01, 0x00, 0x00, 0x00] + Array(repeating: 0, count: 10))
            let answer = try await connection.response(0, timeoutSeconds: 30)
            #expect(answer.errorCode == .requestTimedOut)
            try await connection.waitUntilClosed()
        }
    }

    @Test("a client trickling a frame byte by byte is cut off by the frame timeout, not kept alive by it")
    func tricklingFrame() async throws {
        try await withBroker({ $0.frameTimeoutMilliseconds = 300 }) { _, port in
            let connection = try await TestConnection(port: port)
            var request = ByteBuffer()
            RequestFrame(
                header: RequestHeader(apiKey: .handshake, apiVersion: 0, correlationID: 7),
                body: HandshakeRequest(clientName: String(repeating: "x", count: 2000)).encoded()
            ).write(into: &request)
            let bytes = Array(request.readableBytesView)
            var sent = 0
            while sent < bytes.count && !connection.isClosed {
                try? await connection.sendRaw([bytes[sent]])
                sent += 1
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(sent < bytes.count, "the broker let a frame take \(bytes.count) × 10 ms")
            #expect(connection.pendingFrames.map(\.errorCode) == [.requestTimedOut])
        }
    }
}

/// Waits (bounded) until `condition` holds.
func waitUntil(timeoutSeconds: Double = 20, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while !condition() {
        guard Date() < deadline else { throw TestFailure("condition still false after \(timeoutSeconds) s") }
        try await Task.sleep(for: .milliseconds(5))
    }
}
