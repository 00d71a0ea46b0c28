import Foundation
import Testing

/// `brokerd --kafka-listen`: a bad value or a busy address stops the start with a one-line error
/// naming the flag.
@Suite struct KafkaListenFlagTests {
    @Test func aBadAddressIsRefused() throws {
        let directory = try TemporaryDirectory()
        let run = try runTool(
            "brokerd",
            [
                "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", directory.path,
                "--kafka-listen", "nope",
            ]
        )
        #expect(run.status != 0)
        #expect(run.standardError.contains("--kafka-listen must be HOST:PORT, got 'nope'"), "\(run.standardError)")
    }

    @Test func aBusyKafkaAddressNamesTheKafkaFlag() throws {
        let first = try TemporaryDirectory()
        let broker = try BrokerdProcess(
            dataDirectory: first.path + "/data",
            extraArguments: ["--kafka-listen", "127.0.0.1:0"]
        )
        let busy = try KafkaClients.kafkaAddress(of: broker)
        let second = try TemporaryDirectory()
        let run = try runTool(
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
        #expect(try broker.stop() == 0)
    }
}
