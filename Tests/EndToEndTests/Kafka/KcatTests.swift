import Foundation
import ProcessTesting
import Testing

/// kcat (Debian's, librdkafka 2.0, which enables features only for exact advertised versions)
/// against `brokerd --kafka-listen`: metadata listing, producing keyed messages with headers,
/// consuming them back, and a timestamp query. Skipped, saying so, where kcat is not installed
/// (.ci/run installs it with apt-get).
@Suite struct KcatTests {
    static let kcat = "/usr/bin/kcat"

    static func run(_ arguments: [String], input: String? = nil) async throws -> ToolRun {
        let process = ChildProcess()
        process.executableURL = URL(fileURLWithPath: kcat)
        process.arguments = arguments
        return try await runToCompletion(process, input: input, timeoutSeconds: 60, describedAs: "kcat \(arguments)")
    }

    @Test func kcatListsProducesConsumesAndQueries() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.kcat) else {
            print("skipped: \(Self.kcat) is not installed (apt-get install kcat)")
            return
        }
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: directory.path + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0"]
        )
        let kafka = try await KafkaClients.kafkaAddress(of: broker)
        try await KafkaClients.createTopic("kc", partitions: 2, broker: broker.address)
        let listed = try await Self.run(["-b", kafka, "-L", "-m", "20"])
        #expect(listed.status == 0, "\(listed.standardError)")
        #expect(listed.standardOutput.contains("broker 0 at \(kafka)"), "\(listed.standardOutput)")
        #expect(listed.standardOutput.contains("topic \"kc\" with 2 partitions"), "\(listed.standardOutput)")

        let produced = try await Self.run(
            ["-b", kafka, "-P", "-t", "kc", "-p", "1", "-K", ":", "-H", "origin=kcat", "-m", "20"],
            input: "k1:v1\nk2:v2\n"
        )
        #expect(produced.status == 0, "\(produced.standardError)")
        let consumed = try await Self.run(
            ["-b", kafka, "-C", "-t", "kc", "-p", "1", "-o", "beginning", "-e", "-f", "%p %o %k %s %h\\n", "-m", "20"]
        )
        #expect(consumed.status == 0, "\(consumed.standardError)")
        #expect(consumed.lines == ["1 0 k1 v1 origin=kcat", "1 1 k2 v2 origin=kcat"])

        // The same records through Sluice's own consumer.
        let bySluice = try await KafkaClients.sluiceMessages(broker: broker.address, topic: "kc", count: 2)
        #expect(bySluice.map(\.key) == ["k1", "k2"])
        #expect(bySluice.map(\.headers) == [[["origin", "kcat"]], [["origin", "kcat"]]])

        let queried = try await Self.run(["-b", kafka, "-Q", "-t", "kc:1:1", "-m", "20"])
        #expect(queried.status == 0, "\(queried.standardError)")
        #expect(queried.standardOutput.contains("kc [1] offset 0"), "\(queried.standardOutput)")
        await #expect(try broker.stop() == 0)
    }
}
