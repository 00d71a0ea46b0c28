import BrokerProtocol
import NIOCore
import Testing

/// The `FuzzRegressionTests` harness over streams of group request frames: damaged by random
/// mutations and fed in random chunks, every frame decodes or throws a `ProtocolError`, and what
/// decodes re-encodes to the same bytes.
@Suite("Group fuzz regressions")
struct GroupFuzzTests {
    @Test(arguments: 0..<4)
    func mutatedGroupStreamsDecodeOrThrowProtocolErrors(_ batch: Int) throws {
        try FuzzRegressionTests.checkMutatedStreams(
            of: GroupWireSamples.requests,
            seed: UInt64(batch) &* 0xA076_1D64_78BD_642F &+ 3
        )
    }

    /// Mutated deliver pushes: the client's decoder of the push never traps.
    @Test func mutatedDeliverPushesDecodeOrThrowProtocolErrors() throws {
        var generator = SplitMix64(seed: 2026)
        var random = GroupMessageGenerator(seed: 7)
        for _ in 0..<300 {
            var bytes = ByteBuffer()
            random.deliverPush().pushFrame.responseFrame.write(into: &bytes)
            var stream = Array(bytes.readableBytesView)
            FuzzRegressionTests.mutate(&stream, with: &generator)
            let (payloads, _) = try FuzzRegressionTests.decodeFrames(stream) { $0 }
            for payload in payloads {
                guard let frame = try? ResponseFrame(payload: payload) else { continue }
                do {
                    let push = try DeliverPush(PushFrame(frame))
                    #expect(!push.deliveries.isEmpty && push.records.readableBytes > 0)
                } catch let error as ProtocolError {
                    #expect(error.code == .malformedRequest)
                }
            }
        }
    }
}
