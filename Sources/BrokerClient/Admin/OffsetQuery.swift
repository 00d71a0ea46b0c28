import BrokerProtocol

/// Which offset ``Admin/listOffsets(topic:partitions:at:)`` looks up.
public enum OffsetQuery: Hashable, Sendable {
    /// The log start offset: the first record still kept.
    case earliest
    /// The log end offset: where the next record will go.
    case latest
    /// The first offset whose record has a timestamp at or after this one (epoch milliseconds).
    case timestamp(Int64)

    var wireTimestamp: Int64 {
        switch self {
        case .earliest: ListOffsetsRequest.earliest
        case .latest: ListOffsetsRequest.latest
        case .timestamp(let milliseconds): milliseconds
        }
    }
}
