import BrokerProtocol
import NIOCore
import Testing

/// The `FuzzRegressionTests` harness over streams of schedule request frames: damaged by random
/// mutations and fed in random chunks, every frame decodes (as the request and as the response of its
/// key) or throws a `ProtocolError`, and what decodes re-encodes to the same bytes.
@Suite("Schedule fuzz regressions")
struct ScheduleFuzzTests {
    /// The samples that fit the harness's 1 KiB frames (the longest id and cursor do not).
    static let samples = (ScheduleWireSamples.requests + ScheduleWireSamples.markedStrings.filter(\.isRequest))
        .filter { $0.encoded.readableBytes < FuzzRegressionTests.maxFrameBytes - Frame.requestHeaderBytes }

    @Test(arguments: 0..<4)
    func mutatedScheduleStreamsDecodeOrThrowProtocolErrors(_ batch: Int) throws {
        #expect(Set(Self.samples.map(\.apiKey)) == ScheduleWireSamples.apiKeys)
        try FuzzRegressionTests.checkMutatedStreams(
            of: Self.samples,
            seed: UInt64(batch) &* 0xD1B5_4A32_D192_ED03 &+ 5
        )
    }
}
