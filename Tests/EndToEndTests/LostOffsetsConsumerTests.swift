import Foundation
import Testing

/// A batch damaged on `brokerd`'s disk, read with the real `consumer`: the lost offsets are named
/// in one line on standard error and every other message is printed.
@Suite("consumer across offsets lost to damage on disk")
struct LostOffsetsConsumerTests {
    /// Offsets of the batch `index` of the `.log` at `path` and its byte position.
    static func batches(in path: String) throws -> [(position: Int, first: Int64, last: Int64)] {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var result: [(Int, Int64, Int64)] = []
        var position = 0
        while position + 61 <= bytes.count {
            let base = bytes[position..<(position + 8)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let length = bytes[(position + 8)..<(position + 12)].reduce(0) { $0 << 8 | Int($1) }
            let delta = bytes[(position + 23)..<(position + 27)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            result.append((position, base, base + delta))
            position += length + 12
        }
        return result
    }

    @Test("consumer prints every message outside a damaged batch and names the lost offsets on stderr")
    func consumerStepsPastDamage() async throws {
        let directory = try TemporaryDirectory()
        let data = directory.path + "/data"
        var broker = try await BrokerdProcess(dataDirectory: data)
        let created = try await runTool(
            "brokerctl",
            ["--broker", broker.address, "topics", "create", "orders", "--partitions", "1"]
        )
        #expect(created.status == 0, "\(created.standardError)")
        // Five producer runs: five batches or more.
        for run in 0..<5 {
            let lines = (0..<100).map { "message-\(run * 100 + $0)" }.joined(separator: "\n") + "\n"
            let produced = try await runTool(
                "producer",
                ["--broker", broker.address, "--topic", "orders"],
                input: lines
            )
            #expect(produced.status == 0, "\(produced.standardError)")
        }
        await #expect(try broker.stop(signal: SIGTERM) == 0)

        // Damage a byte the CRC covers in a batch in the middle, and make the restart validate it.
        let partition = data + "/orders/0"
        let logPath = partition + "/00000000000000000000.log"
        let batches = try Self.batches(in: logPath)
        try #require(batches.count >= 5)
        let damaged = batches[batches.count / 2]
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: logPath))
        try handle.seek(toOffset: UInt64(damaged.position + 61))
        let original = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: UInt64(damaged.position + 61))
        try handle.write(contentsOf: [original ^ 0xFF])
        try handle.close()
        try FileManager.default.removeItem(atPath: partition + "/.clean-shutdown")
        try FileManager.default.removeItem(atPath: partition + "/recovery-point")

        broker = try await BrokerdProcess(dataDirectory: data)
        let consumed = try await runTool("consumer", ["--broker", broker.address, "--topic", "orders", "--until-end"])
        #expect(consumed.status == 0, "\(consumed.standardError)")
        let lost = damaged.first...damaged.last
        let expected = (0..<500).filter { !lost.contains(Int64($0)) }.map { "message-\($0)" }
        #expect(consumed.lines == expected)
        #expect(
            consumed.standardError
                == "consumer: lost offsets \(lost.lowerBound)..\(lost.upperBound) of orders/0 (damaged on disk); "
                + "continuing at \(lost.upperBound + 1)\n"
        )
        // The broker said what recovery did, with counts, at info level.
        let log = broker.logText
        #expect(log.contains("recovery repaired a segment"), "\(log)")
        #expect(log.contains("offsets \(lost.lowerBound)..\(lost.upperBound) lost"), "\(log)")
        await #expect(try broker.stop(signal: SIGTERM) == 0)
    }
}
