import BrokerProtocol
import NIOCore

extension ResponseFrame {
    /// The frame's bytes (length prefix included) in one buffer from `allocator`, sized to fit.
    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: body.readableBytes + 16)
        write(into: &buffer)
        return buffer
    }
}
