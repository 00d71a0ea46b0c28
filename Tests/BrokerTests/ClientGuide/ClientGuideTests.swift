import BrokerClient
import Foundation
import Testing

/// docs/CLIENT.md cannot rot: its Swift blocks are the code of ``ClientGuideExamples`` (checked
/// here character for character), and that code compiles with the tests and runs against an
/// embedded broker.
@Suite("docs/CLIENT.md examples")
struct ClientGuideTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The files holding the page's examples.
    static let exampleFiles = [
        "Tests/BrokerTests/ClientGuide/ClientGuideExamples.swift",
        "Tests/BrokerTests/ClientGuide/ClientGuideExamples+Schedules.swift",
        "Examples/OrderService/OrderService.swift",
    ]

    /// The `// guide:NAME begin` … `// guide:NAME end` regions of the example files, dedented.
    static func exampleRegions() throws -> [String: String] {
        var source = ""
        for file in exampleFiles {
            source += try String(contentsOf: repositoryRoot.appendingPathComponent(file), encoding: .utf8) + "\n"
        }
        var regions: [String: String] = [:]
        var current: (name: String, lines: [Substring])?
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("// guide:"), trimmed.hasSuffix(" begin") {
                current = (String(trimmed.dropFirst(9).dropLast(6)), [])
            } else if let region = current, trimmed == "// guide:\(region.name) end" {
                regions[region.name] = dedent(region.lines)
                current = nil
            } else if current != nil {
                current!.lines.append(line)
            }
        }
        return regions
    }

    /// The ```swift blocks of docs/CLIENT.md that follow a `<!-- guide:NAME -->` line.
    static func pageBlocks() throws -> [String: String] {
        let page = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/CLIENT.md"), encoding: .utf8)
        var blocks: [String: String] = [:]
        var name: String?
        var block: [Substring]?
        for line in page.split(separator: "\n", omittingEmptySubsequences: false) {
            if let open = block {
                if line == "```" {
                    blocks[name!] = dedent(open)
                    block = nil
                    name = nil
                } else {
                    block!.append(line)
                }
            } else if line.hasPrefix("<!-- guide:"), line.hasSuffix(" -->") {
                name = String(line.dropFirst(11).dropLast(4))
            } else if line == "```swift", name != nil {
                block = []
            }
        }
        return blocks
    }

    static func dedent(_ lines: [Substring]) -> String {
        let indent = lines.filter { !$0.allSatisfy(\.isWhitespace) }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        return lines.map { $0.count >= indent ? String($0.dropFirst(indent)) : "" }.joined(separator: "\n")
    }

    @Test("every marked block of the page is the compiled example, character for character")
    func pageMatchesExamples() throws {
        let regions = try Self.exampleRegions()
        let blocks = try Self.pageBlocks()
        #expect(Set(blocks.keys) == Set(regions.keys), "the page and the examples name the same blocks")
        #expect(regions.count >= 6)
        for (name, code) in regions {
            #expect(blocks[name] == code, "docs/CLIENT.md block guide:\(name) differs from ClientGuideExamples")
        }
    }

    @Test("the publish and consume examples run against an embedded broker")
    func publishAndConsume() async throws {
        try await withBroker { _, port in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            try await Admin(transport: connection).createTopic("orders", partitions: 3)
            await connection.close()
            let published = try await ClientGuideExamples.publish(port: port)
            #expect(published.count == 3)
            #expect(published.allSatisfy { $0.hasPrefix("order ") && $0.contains(" stored at orders/") })
            // A second run is answered from the message-id window: nothing is stored twice.
            #expect(try await ClientGuideExamples.publish(port: port) == published)
            let consumed = try await ClientGuideExamples.consume(port: port)
            #expect(consumed.count == 3)
            let handled = try await ClientGuideExamples.groupConsumer(port: port, expected: 3)
            #expect(handled.sorted() == (1...3).map { #"{"type":"OrderCreated","order":\#($0)}"# })
            #expect(consumed.contains { $0.contains("order-2") && $0.contains("id=order-created-2") })
            #expect(try await ClientGuideExamples.publishMany(port: port) == 10_000)
            #expect(try await ClientGuideExamples.consume(port: port).count == 10_000, "ids 1-3 were already there")
        }
    }

    @Test("the consumer ServiceGroup example handles records until a graceful shutdown, then stops cleanly")
    func consumerServiceGroup() async throws {
        try await withBroker { _, port in
            let address = BrokerAddress(host: "127.0.0.1", port: port)
            try await BrokerConnection.withConnection(to: address) { connection in
                try await Admin(transport: connection).createTopic("orders", partitions: 2)
                try await Producer.withProducer(transport: connection) { producer in
                    for orderNumber in 1...200 {
                        _ = try await producer.enqueue(topic: "orders", key: "order-\(orderNumber)", value: "{}")
                    }
                }
            }
            let (handled, handledSink) = AsyncStream.makeStream(of: String.self)
            let connection = BrokerConnection(address: address)
            let (group, consumer) = ClientGuideExamples.consumerService(connection: connection) { record in
                handledSink.yield(record.keyString ?? "")
            }
            var keys: Set<String> = []
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for await key in handled {
                    keys.insert(key)
                    if keys.count == 200 { break }
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(keys == Set((1...200).map { "order-\($0)" }))
            #expect(consumer.isStopped)
            // The group closed the connection it owned.
            await #expect(throws: ClientError.self) { _ = try await Admin(transport: connection).listTopics() }
        }
    }

    @Test("the embedded-broker example runs")
    func embeddedBroker() async throws {
        #expect(try await ClientGuideExamples.embeddedBroker() == 0)
    }
}
