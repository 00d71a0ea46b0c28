#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Data: MessageBytes {
    /// The data's bytes, copied into a buffer.
    public var messageBytes: ByteBuffer { ByteBuffer(bytes: self) }
}

extension ConsumerRecord {
    /// The key's bytes as `Data`; `nil` for no key.
    public var keyData: Data? { key.map { Data($0.readableBytesView) } }
    /// The value's bytes as `Data`; `nil` for a null value.
    public var valueData: Data? { value.map { Data($0.readableBytesView) } }
}
