import NIOCore
import Testing

@testable import KafkaProtocol

/// Random mutations of valid group and admin request and response bodies: decoding throws only
/// `KafkaDecodingError`, and whatever decodes re-encodes to bytes that decode to an equal value.
@Suite struct KafkaGroupCodecFuzzTests {
    /// One body type at one version: decode the bytes, and if they decode, check the re-encoding round trip.
    struct Case {
        var name: String
        var sample: [UInt8]
        var check: ([UInt8]) -> Bool
    }

    static func requestCase<Body: KafkaRequestBody>(_ body: Body, _ version: Int16) -> Case {
        var encoded = ByteBuffer()
        body.encode(into: &encoded, version: version)
        return Case(name: "\(Body.self) v\(version)", sample: bytes(encoded)) { input in
            roundTrip(input) {
                try Body(from: &$0, version: version)
            } encode: {
                $0.encode(into: &$1, version: version)
            }
        }
    }

    static func responseCase<Body: KafkaResponseBody>(_ body: Body, _ version: Int16) -> Case {
        var encoded = ByteBuffer()
        body.encode(into: &encoded, version: version)
        return Case(name: "\(Body.self) v\(version)", sample: bytes(encoded)) { input in
            roundTrip(input) {
                try Body(from: &$0, version: version)
            } encode: {
                $0.encode(into: &$1, version: version)
            }
        }
    }

    /// Decodes `input`; on success re-encodes and decodes again, expecting an equal value. Returns whether it decoded.
    static func roundTrip<Value: Equatable>(
        _ input: [UInt8],
        decode: (inout KafkaReader) throws -> Value,
        encode: (Value, inout ByteBuffer) -> Void
    ) -> Bool {
        var reader = KafkaReader(buffer(input))
        let value: Value
        do {
            value = try decode(&reader)
        } catch is KafkaDecodingError {
            return false
        } catch {
            Issue.record("\(input) threw \(error)")
            return false
        }
        var again = ByteBuffer()
        encode(value, &again)
        var second = KafkaReader(again)
        do {
            #expect(try decode(&second) == value)
        } catch {
            Issue.record("the re-encoding of \(input) does not decode: \(error)")
        }
        return true
    }

    static func cases() -> [Case] {
        let py = KafkaPythonGroupCrossCheckTests.self
        var cases: [Case] = []
        for version: Int16 in 0...2 {
            cases.append(requestCase(KafkaFindCoordinatorRequest(key: "orders", keyType: 1), version))
            cases.append(requestCase(py.describeRequest, version))
            cases.append(responseCase(py.describeResponse(version), version))
        }
        for version: Int16 in 0...5 {
            cases.append(requestCase(py.joinRequest, version))
            cases.append(responseCase(py.joinResponse, version))
        }
        for version: Int16 in 0...3 {
            cases.append(requestCase(py.syncRequest, version))
            cases.append(requestCase(KafkaHeartbeatRequest(groupID: "g", generationID: 1, memberID: "m"), version))
            let leaving: [KafkaLeaveGroupRequest.Member] =
                version >= 3
                ? [.init(memberID: "m"), .init(memberID: "", groupInstanceID: "i")] : [.init(memberID: "m")]
            cases.append(requestCase(KafkaLeaveGroupRequest(groupID: "g", members: leaving), version))
            cases.append(responseCase(py.leaveResponse, version))
            cases.append(requestCase(KafkaDeleteTopicsRequest(topicNames: ["a", "b"], timeoutMs: 1), version))
        }
        for version: Int16 in 0...4 {
            cases.append(requestCase(py.createRequest, version))
            cases.append(responseCase(py.createResponse, version))
        }
        for version: Int16 in 0...7 {
            cases.append(requestCase(py.commitRequest, version))
            cases.append(responseCase(py.commitResponse, version))
            cases.append(requestCase(py.fetchRequest, version))
            cases.append(responseCase(py.fetchResponse, version))
        }
        return cases
    }

    @Test func mutatedBodiesThrowOnlyDecodingErrorsAndWhatDecodesRoundTrips() {
        var random = SeededGenerator(state: 0x5EED_6C0D)
        var decodedCount = 0
        var total = 0
        for testCase in Self.cases() {
            #expect(testCase.check(testCase.sample), "\(testCase.name): the sample itself")
            for _ in 0..<300 {
                var input = testCase.sample
                for _ in 0...Int.random(in: 0...3, using: &random) {
                    guard !input.isEmpty else { break }
                    let position = Int.random(in: 0..<input.count, using: &random)
                    switch Int.random(in: 0..<5, using: &random) {
                    case 0: input[position] = UInt8.random(in: 0...255, using: &random)
                    case 1: input[position] ^= 1 << UInt8.random(in: 0...7, using: &random)
                    case 2: input.removeSubrange(position..<input.count)
                    case 3: input.insert(UInt8.random(in: 0...255, using: &random), at: position)
                    default: input[position] = [0x00, 0x7F, 0x80, 0xFF].randomElement(using: &random)!
                    }
                }
                total += 1
                if testCase.check(input) { decodedCount += 1 }
            }
        }
        // Mutations keep some inputs valid, so both paths (error and round trip) are exercised.
        #expect(decodedCount > 0 && decodedCount < total)
    }
}
