import BrokerProtocol

/// The broker's state, as ``Admin/status()`` reports it.
public struct BrokerStatus: Hashable, Sendable {
    /// The broker's software version.
    public var brokerVersion: String
    /// How long the broker has been running, in milliseconds.
    public var uptimeMilliseconds: Int64
    /// How many topics exist.
    public var topicCount: Int32
    /// How many partitions all topics have together.
    public var partitionCount: Int32
    /// How many clients are connected.
    public var connectionCount: Int32
    /// Bytes of all partition logs.
    public var logBytes: Int64
    /// Where the broker keeps its data.
    public var dataDirectory: String

    init(_ response: BrokerStatusResponse) {
        brokerVersion = response.brokerVersion
        uptimeMilliseconds = response.uptimeMilliseconds
        topicCount = response.topicCount
        partitionCount = response.partitionCount
        connectionCount = response.connectionCount
        logBytes = response.logBytes
        dataDirectory = response.dataDirectory
    }
}
