import Foundation
import ProcessTesting
import Testing

/// `producer` when the broker dies under it or it gets Ctrl-C: every acknowledgement is printed,
/// the run ends with one error line, and memory stays bounded while standard input never ends.
@Suite("producer when the broker dies or it is interrupted", .serialized)
struct ProducerFailureTests {
    /// A generous bound on the producer's resident memory: its record buffer is at most 32 MiB and
    /// it holds at most 10,000 unprinted messages (measured: about 36 MB for a debug build; before
    /// the fix it grew past 280 MB within 45 s of the broker's death, and kept growing).
    static let residentBytesBound = 256 << 20

    /// Offsets of the printed `TOPIC/PARTITION@OFFSET` lines of partition 0.
    static func printedOffsets(_ lines: [String]) -> [Int64] {
        lines.compactMap { BrokerdTests.parseAcknowledgement($0) }.filter { $0.partition == 0 }.map(\.offset)
    }

    /// The offsets in the log after a restart on the same data directory.
    static func offsetsInLog(dataDirectory: String, topic: String) async throws -> Set<Int64> {
        let broker = try await BrokerdProcess(dataDirectory: dataDirectory)
        let records = try await BrokerdTests.consumeAll(broker.address, topic: topic)
        _ = try await broker.stop(signal: SIGTERM)
        return Set(records.compactMap { ($0["offset"] as? NSNumber)?.int64Value })
    }

    @Test("acknowledged lines are printed as they arrive, and all of them before the error exit")
    func printsAcknowledgementsBeforeFailing() async throws {
        let directory = try TemporaryDirectory()
        let dataDirectory = directory.path + "/data"
        let broker = try await BrokerdProcess(dataDirectory: dataDirectory)
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "t", "--partitions", "1"]
        )
        #expect(created.status == 0, "\(created.standardError)")

        let producer = try RunningTool("producer", ["--broker", broker.address, "--topic", "t", "--acks", "durable"])
        producer.write((0..<100).map { "message-\($0)\n" }.joined())
        // Standard input stays open: the 100 acknowledgements must not wait for more input.
        let printed = await producer.wait(upTo: 60) { producer.lines.count >= 100 }
        #expect(printed, "100 acknowledged messages, \(producer.lines.count) lines printed")

        _ = try await broker.stop(signal: SIGKILL)
        // Written while the producer waits for input (it cannot have exited yet), into the pipe's
        // buffer; nothing is written after this, so a write cannot meet a closed pipe (SIGPIPE).
        producer.write((100..<200).map { "message-\($0)\n" }.joined())
        let status = await producer.waitForExit(upTo: 90)
        #expect(status != nil, "producer still running 90 s after the broker died")
        #expect(status != 0)
        let errorLines = producer.standardError.split(separator: "\n")
        #expect(errorLines.count == 1, "\(producer.standardError)")
        #expect(errorLines.first?.hasPrefix("producer: ") == true, "\(producer.standardError)")

        let offsets = Self.printedOffsets(producer.lines)
        #expect(offsets.count == producer.lines.count, "unexpected lines: \(producer.lines.prefix(5))")
        #expect(Array(offsets.prefix(100)) == (0..<100).map { Int64($0) })
        let log = try await Self.offsetsInLog(dataDirectory: dataDirectory, topic: "t")
        for offset in offsets { #expect(log.contains(offset), "printed offset \(offset) is not in the log") }
    }

    @Test("with endless standard input, a killed broker ends the run with one line and bounded memory")
    func endlessInputEndsWhenTheBrokerDies() async throws {
        let directory = try TemporaryDirectory()
        let dataDirectory = directory.path + "/data"
        let broker = try await BrokerdProcess(dataDirectory: dataDirectory)
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "t", "--partitions", "1"]
        )
        #expect(created.status == 0, "\(created.standardError)")

        let yes = ChildProcess()
        yes.executableURL = URL(fileURLWithPath: "/usr/bin/yes")
        yes.arguments = ["an endless stream of messages"]
        let producer = try RunningTool(
            "producer",
            ["--broker", broker.address, "--topic", "t", "--acks", "durable"],
            inputFrom: yes
        )
        defer { if yes.isRunning { yes.terminate() } }
        let started = await producer.wait(upTo: 60) { producer.lines.count >= 1000 }
        #expect(started, "only \(producer.lines.count) lines printed: \(producer.standardError)")

        _ = try await broker.stop(signal: SIGKILL)
        var largestResident = 0
        let status = await producer.waitForExit(upTo: 120) {
            largestResident = max(largestResident, producer.residentBytes() ?? 0)
        }
        #expect(status != nil, "producer still running 120 s after the broker died")
        #expect(status != 0)
        #expect(largestResident < Self.residentBytesBound, "producer grew to \(largestResident) bytes")
        let errorLines = producer.standardError.split(separator: "\n")
        #expect(errorLines.count == 1, "\(producer.standardError.prefix(2000))")

        // One partition, batches acknowledged in order: the printed offsets are 0, 1, 2, … without a
        // gap (a gap would be an acknowledged record without its line), and each is in the log.
        let offsets = Self.printedOffsets(producer.lines)
        #expect(offsets == (0..<offsets.count).map { Int64($0) })
        let log = try await Self.offsetsInLog(dataDirectory: dataDirectory, topic: "t")
        #expect(offsets.allSatisfy { log.contains($0) }, "printed \(offsets.count), the log holds \(log.count)")
    }

    @Test("Ctrl-C: the producer stops reading, prints every acknowledgement still to come, and exits 130")
    func interruptPrintsWhatWasSent() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "t", "--partitions", "3"]
        )
        #expect(created.status == 0, "\(created.standardError)")

        let yes = ChildProcess()
        yes.executableURL = URL(fileURLWithPath: "/usr/bin/yes")
        yes.arguments = ["a message"]
        let producer = try RunningTool("producer", ["--broker", broker.address, "--topic", "t"], inputFrom: yes)
        defer { if yes.isRunning { yes.terminate() } }
        let started = await producer.wait(upTo: 60) { producer.lines.count >= 1000 }
        #expect(started, "only \(producer.lines.count) lines printed: \(producer.standardError)")

        producer.process.signal(SIGINT)
        let status = await producer.waitForExit(upTo: 60)
        #expect(status == 130, "\(producer.standardError)")
        #expect(producer.process.terminationReason == .exit, "the producer finished instead of dying of SIGINT")
        let errorLines = producer.standardError.split(separator: "\n")
        #expect(errorLines.count == 1, "\(producer.standardError)")
        #expect(
            errorLines.first?.hasPrefix("producer: interrupted by SIGINT (acknowledged and printed: messages 1-")
                == true
        )

        // The broker stayed up: every message the producer sent was acknowledged and has its line.
        let records = try await BrokerdTests.consumeAll(broker.address, topic: "t")
        #expect(
            producer.lines.count == records.count,
            "printed \(producer.lines.count), the log holds \(records.count)"
        )
        var stored = Set<String>()
        for record in records {
            if let partition = record["partition"] as? Int, let offset = record["offset"] as? Int {
                stored.insert("t/\(partition)@\(offset)")
            }
        }
        #expect(Set(producer.lines) == stored)
        _ = try await broker.stop(signal: SIGTERM)
    }
}
