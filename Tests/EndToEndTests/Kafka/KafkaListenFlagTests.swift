import Foundation
import Testing

/// `brokerd --kafka-listen`: a bad value or a busy address stops the start with a one-line error
/// naming the flag.
@Suite struct KafkaListenFlagTests {
    @Test func aBadAddressIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let run = try await runTool(
            "brokerd",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", directory.path,
                "--kafka-listen", "nope",
            ]
        )
        #expect(run.status != 0)
        #expect(run.standardError.contains("--kafka-listen must be HOST:PORT, got 'nope'"), "\(run.standardError)")
    }

    @Test func aBusyKafkaAddressNamesTheKafkaFlag() async throws {
        let first = try TemporaryDirectory()
        let broker = try await BrokerdProcess(
            dataDirectory: first.path + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0"]
        )
        let busy = try await KafkaClients.kafkaAddress(of: broker)
        let second = try TemporaryDirectory()
        let run = try await runTool(
            "brokerd",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", second.path + "/data",
                "--kafka-listen", busy,
            ]
        )
        #expect(run.status != 0)
        #expect(
            run.standardError.contains("cannot listen on \(busy) (--kafka-listen): Address already in use"),
            "\(run.standardError)"
        )
        await #expect(try broker.stop() == 0)
    }
}
