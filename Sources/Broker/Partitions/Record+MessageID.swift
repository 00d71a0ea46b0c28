import BrokerProtocol
import LogStore
import NIOCore
import RecordCodec

extension Record {
    /// The message id a producer set (header ``ProduceRequest/messageIDHeader``; the last one wins).
    var messageID: ByteBuffer? {
        headers.last { $0.key == ProduceRequest.messageIDHeader }?.value ?? nil
    }
}
