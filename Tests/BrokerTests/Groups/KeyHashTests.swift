import Testing

@testable import Broker

/// ``KeyHash`` is 64-bit FNV-1a: the published test vectors, and both entry points agree.
@Suite("KeyHash")
struct KeyHashTests {
    @Test(
        "FNV-1a 64 test vectors",
        arguments: [
            ("", 0xcbf2_9ce4_8422_2325 as UInt64),
            ("a", 0xaf63_dc4c_8601_ec8c),
            ("foobar", 0x8594_4171_f739_67e8),
        ]
    )
    func vectors(text: String, expected: UInt64) {
        #expect(KeyHash.of(Array(text.utf8)) == expected)
        let viaPointer = Array(text.utf8).withUnsafeBytes { KeyHash.of($0) }
        #expect(viaPointer == expected)
    }
}
