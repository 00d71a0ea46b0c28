import Foundation
import ProcessTesting
import Testing

/// End-to-end tests that run the real executables: `brokerd`, `brokerctl`, `producer`, `consumer`.
@Suite("brokerd and the command-line tools", .serialized)
struct BrokerdTests {
    static let messageCount = 10_000

    /// `key-i:value-i` lines for `producer --key-separator :`.
    static func keyedLines(_ range: Range<Int>) -> String {
        range.map { "key-\($0):value-\($0)" }.joined(separator: "\n") + "\n"
    }

    /// Kafka's partition for each key, computed by kafka-python's own murmur2.
    static func kafkaPartitions(_ keys: [String], partitionCount: Int) async throws -> [String: Int] {
        let script = """
            import sys, json
            from kafka.partitioner.default import murmur2
            keys = json.load(sys.stdin)
            print(json.dumps({k: (murmur2(k.encode()) & 0x7fffffff) % \(partitionCount) for k in keys}))
            """
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: keys))
        try input.fileHandleForWriting.close()
        let data = await output.fileHandleForReading.readToEndOfFile()
        await process.waitForExit()
        guard process.terminationStatus == 0, let map = try JSONSerialization.jsonObject(with: data) as? [String: Int]
        else {
            throw CrashTestError("kafka-python 2.x's murmur2 is needed: python3 -m pip install 'kafka-python==2.*'")
        }
        return map
    }

    /// `TOPIC/PARTITION@OFFSET` → (partition, offset).
    static func parseAcknowledgement(_ line: String) -> (partition: Int, offset: Int64)? {
        guard let slash = line.lastIndex(of: "/"), let at = line.lastIndex(of: "@"), slash < at,
            let partition = Int(line[line.index(after: slash)..<at]), let offset = Int64(line[line.index(after: at)...])
        else { return nil }
        return (partition, offset)
    }

    /// Every record of the topic as JSON objects, via `consumer --format json --until-end`.
    static func consumeAll(_ broker: String, topic: String) async throws -> [[String: Any]] {
        let run = try await runTool(
            "consumer",
            ["--broker", broker, "--topic", topic, "--format", "json", "--until-end"]
        )
        #expect(run.status == 0, "consumer failed: \(run.standardError)")
        return try run.lines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw CrashTestError("not a JSON object: \(line)")
            }
            return object
        }
    }

    static func headerValue(_ record: [String: Any], _ key: String) -> String? {
        if let array = record["headers"] as? [[String: Any]] {
            return array.first { $0["key"] as? String == key }?["value"] as? String
        }
        return (record["headers"] as? [String: Any])?[key] as? String
    }

    @Test("10,000 keyed messages from stdin come back as JSON, each on Kafka's partition, across a SIGTERM restart")
    func keyedMessagesRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        var broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "orders", "--partitions", "4"]
        )
        #expect(created.status == 0, "\(created.standardError)")

        let produced = try await runTool(
            "producer",
            ["--broker", broker.address, "--topic", "orders", "--key-separator", ":", "--header", "source=e2e"],
            input: Self.keyedLines(0..<Self.messageCount)
        )
        #expect(produced.status == 0, "\(produced.standardError)")
        let acknowledgements = produced.lines.compactMap(Self.parseAcknowledgement)
        try #require(acknowledgements.count == Self.messageCount, "\(produced.lines.prefix(3))")
        #expect(produced.lines.allSatisfy { $0.hasPrefix("orders/") })

        let keys = (0..<Self.messageCount).map { "key-\($0)" }
        let kafka = try await Self.kafkaPartitions(keys, partitionCount: 4)
        for (index, acknowledgement) in acknowledgements.enumerated() {
            #expect(acknowledgement.partition == kafka[keys[index]], "key-\(index)")
        }

        func checkConsumed() async throws {
            let records = try await Self.consumeAll(broker.address, topic: "orders")
            #expect(records.count == Self.messageCount)
            var seen = Set<String>()
            for record in records {
                let key = try #require(record["key"] as? String)
                let value = try #require(record["value"] as? String)
                #expect(value == "value-" + key.dropFirst("key-".count))
                #expect(Self.headerValue(record, "source") == "e2e")
                #expect(record["topic"] as? String == "orders")
                #expect(record["partition"] as? Int == kafka[key])
                #expect(record["offset"] is Int && record["timestamp"] is Int)
                seen.insert(key)
            }
            #expect(seen.count == Self.messageCount)
        }
        try await checkConsumed()

        await #expect(try broker.stop(signal: SIGTERM) == 0, "brokerd exits 0 on SIGTERM")
        for partition in 0..<4 {
            #expect(
                FileManager.default.fileExists(atPath: directory.path + "/data/orders/\(partition)/.clean-shutdown")
            )
        }
        broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        try await checkConsumed()
        await #expect(try broker.stop(signal: SIGINT) == 0, "brokerd exits 0 on SIGINT")
    }

    @Test("kill -9 of brokerd loses nothing acknowledged with acks durable")
    func killDuringDurableProduce() async throws {
        let directory = try TemporaryDirectory()
        var broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        await #expect(
            try runTool("brokerctl", ["--broker", broker.address, "topics", "create", "jobs", "--partitions", "2"])
                .status == 0
        )
        let first = try await runTool(
            "producer",
            ["--broker", broker.address, "--topic", "jobs", "--key-separator", ":", "--acks", "durable"],
            input: Self.keyedLines(0..<2_000)
        )
        #expect(first.status == 0, "\(first.standardError)")
        await #expect(try broker.stop(signal: SIGKILL) == SIGKILL)

        broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let records = try await Self.consumeAll(broker.address, topic: "jobs")
        let values = Set(records.compactMap { $0["value"] as? String })
        #expect(values.count == 2_000, "every acknowledged message is there after kill -9")
        #expect(records.count == 2_000, "and none twice")
        await #expect(try broker.stop(signal: SIGTERM) == 0)
    }

    @Test("kill -9 of brokerd in the middle of a durable produce stream loses no acknowledged message")
    func killMidStream() async throws {
        let directory = try TemporaryDirectory()
        var broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "stream", "--partitions", "3"]
        )
        #expect(created.status == 0)

        // The producer exits when its broker is gone, while lines may still be fed to it.
        ignoreBrokenPipes()
        let producer = ChildProcess()
        producer.executableURL = try executable(named: "producer")
        producer.arguments = [
            "--broker", broker.address, "--topic", "stream", "--key-separator", ":", "--acks", "durable",
        ]
        let input = Pipe()
        let output = Pipe()
        producer.standardInput = input
        producer.standardOutput = output
        producer.standardError = FileHandle.nullDevice
        try producer.run()
        // Feed lines from another thread while acknowledgements are read here.
        let total = 200_000
        DispatchQueue.global().async {
            for chunk in stride(from: 0, to: total, by: 1_000) {
                let lines = Self.keyedLines(chunk..<min(total, chunk + 1_000))
                do { try input.fileHandleForWriting.write(contentsOf: Data(lines.utf8)) } catch { return }
            }
            try? input.fileHandleForWriting.close()
        }
        var acknowledged: [String] = []
        var pending = Data()
        func takeLines() async {
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                acknowledged.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
        }
        let deadline = Date().addingTimeInterval(120)
        while acknowledged.count < 3_000 && Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            pending.append(data)
            await takeLines()
        }
        try #require(acknowledged.count >= 3_000, "the producer acknowledged \(acknowledged.count) messages")
        await #expect(try broker.stop(signal: SIGKILL) == SIGKILL)
        // Whatever the producer printed before it noticed the lost broker was acknowledged too.
        pending.append(await output.fileHandleForReading.readToEndOfFile())
        await takeLines()
        await producer.waitForExit()
        #expect(producer.terminationStatus != 0, "the producer reports the lost connection")

        broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let records = try await Self.consumeAll(broker.address, topic: "stream")
        var stored: [String: String] = [:]
        for record in records {
            let partition = try #require(record["partition"] as? Int)
            let offset = try #require(record["offset"] as? Int)
            stored["stream/\(partition)@\(offset)"] = record["value"] as? String
        }
        #expect(stored.count == records.count, "no offset twice")
        // Line N is input line N; a line that failed between acknowledged ones reads "not acknowledged".
        for (index, line) in acknowledged.enumerated() where line != "not acknowledged" {
            #expect(stored[line] == "value-\(index)", "acknowledged \(line) for line \(index)")
        }
        #expect(Set(records.compactMap { $0["value"] as? String }).count == records.count, "no message twice")
        await #expect(try broker.stop(signal: SIGTERM) == 0)
    }

    @Test(
        "an unreachable broker is a one-line error and a non-zero exit",
        arguments: ["producer", "consumer", "brokerctl"]
    )
    func unreachableBroker(tool: String) async throws {
        let arguments: [String]
        switch tool {
        case "producer": arguments = ["--broker", "127.0.0.1:1", "--topic", "t", "hello"]
        case "consumer": arguments = ["--broker", "127.0.0.1:1", "--topic", "t", "--count", "1"]
        default: arguments = ["--broker", "127.0.0.1:1", "topics", "list"]
        }
        let run = try await runTool(tool, arguments, timeoutSeconds: 60)
        #expect(run.status != 0)
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.standardError)")
        #expect(run.standardError.contains("127.0.0.1:1"))
    }
}
