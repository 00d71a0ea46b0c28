import ArgumentParser
import BrokerClient
import RecordCodec
import Testing

@testable import ToolSupport

/// `producer --compression`: none (the default) or gzip; the codecs Sluice refuses are refused here.
@Suite struct ProducerCompressionOptionTests {
    typealias T = ToolOptionsTests

    @Test func gzipAndNoneParse() throws {
        #expect(try ProducerOptions.parse(["--topic", "t"]).compression == RecordCompression.none)
        #expect(try ProducerOptions.parse(["--topic", "t", "--compression", "gzip"]).compression == .gzip)
        #expect(
            try ProducerOptions.parse(["--topic", "t", "--compression", "none"]).compression == RecordCompression.none
        )
    }

    @Test(arguments: ["lz4", "zstd", "snappy"])
    func refusedCodecsNameThemselves(codec: String) throws {
        let refusal = try #require(T.refusal(ProducerOptions.self, ["--topic", "t", "--compression", codec]))
        #expect(refusal.contains("--compression \(codec): Sluice writes none or gzip batches only"), "\(refusal)")
    }

    @Test func unknownNamesAndSchedulesAreRefused() throws {
        #expect(T.refusal(ProducerOptions.self, ["--topic", "t", "--compression", "zip"]) != nil)
        #expect(T.refusal(ProducerOptions.self, ["--topic", "t", "--compression", "1"]) != nil)
        let scheduled = try #require(
            T.refusal(ProducerOptions.self, ["--topic", "t", "--compression", "gzip", "--delay", "5s"])
        )
        #expect(scheduled.contains("--compression does not go with --delay or --at"), "\(scheduled)")
    }
}
