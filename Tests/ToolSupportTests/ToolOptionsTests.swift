import ArgumentParser
import BrokerClient
import Testing

@testable import ToolSupport

/// The tools' command lines, parsed as the executables parse them.
@Suite struct ToolOptionsTests {
    /// The one-line message a tool prints for `arguments`, or `nil` if they parse.
    static func refusal<Options: ParsableArguments>(_ type: Options.Type, _ arguments: [String]) -> String? {
        do {
            _ = try Options.parse(arguments)
            return nil
        } catch {
            return Options.message(for: error)
        }
    }

    @Test func producerReadsItsOptions() throws {
        let options = try ProducerOptions.parse([
            "--broker", "h:1", "--topic", "t", "--partition", "2", "--header", "a=b", "--acks", "written", "x",
        ])
        #expect(try options.connection.address() == BrokerAddress(host: "h", port: 1))
        #expect(options.topic == "t")
        #expect(options.partition == 2)
        #expect(options.headers == ["a=b"])
        #expect(options.acks == .written)
        #expect(options.values == ["x"])
    }

    /// `--partition -1` reaches validation (it used to be taken for a flag: "Missing value").
    @Test func negativePartitionsAreRefusedWithAReason() throws {
        let producer = try #require(Self.refusal(ProducerOptions.self, ["--topic", "t", "--partition", "-1"]))
        #expect(producer.contains("--partition -1: partitions are numbered from 0"), "\(producer)")
        let consumer = try #require(Self.refusal(ConsumerOptions.self, ["--topic", "t", "--partition", "-1"]))
        #expect(consumer.contains("--partition -1: partitions are numbered from 0"), "\(consumer)")
        let count = try #require(Self.refusal(ConsumerOptions.self, ["--topic", "t", "--count", "-3"]))
        #expect(count.contains("--count -3"), "\(count)")
    }

    @Test func fromMinusNStartsBeforeTheEnd() throws {
        let options = try ConsumerOptions.parse(["--topic", "t", "--from", "-5"])
        #expect(options.start == .fromEnd(5))
        #expect(try ConsumerOptions.parse(["--topic", "t", "--from", "7"]).start == .offset(7))
        #expect(try ConsumerOptions.parse(["--topic", "t"]).start == .earliest)
        let refusal = try #require(Self.refusal(ConsumerOptions.self, ["--topic", "t", "--from", "-x"]))
        #expect(refusal.contains("--from -x is not"), "\(refusal)")
    }

    /// One id names one message: several VALUEs with one `--msg-id` are refused before sending.
    @Test func oneMessageIDNamesOneMessage() throws {
        _ = try ProducerOptions.parse(["--topic", "t", "--msg-id", "m2", "x"])
        let refusal = try #require(Self.refusal(ProducerOptions.self, ["--topic", "t", "--msg-id", "m2", "x", "y"]))
        #expect(refusal.contains("--msg-id names one message"), "\(refusal)")
    }

    @Test func producerRefusesContradictions() {
        #expect(Self.refusal(ProducerOptions.self, ["--topic", "t", "--key", "k", "--key-separator", ":"]) != nil)
        #expect(Self.refusal(ProducerOptions.self, ["--topic", "t", "--header", "novalue"]) != nil)
        #expect(Self.refusal(ProducerOptions.self, ["--topic", "t", "--delay", "5s", "--at", "1"]) != nil)
        #expect(Self.refusal(ProducerOptions.self, ["--topic", ""]) != nil)
    }
}
