/// The Kafka listener could not bind its address (``BrokerConfiguration/kafkaListener``), for
/// example because it is in use: ``BrokerServer/start()`` throws it, so that a caller can tell it
/// from the native listener's failure.
public struct KafkaListenerBindError: Error, CustomStringConvertible {
    /// The address asked for.
    public var configuration: KafkaListenerConfiguration
    /// The system's error (NIO's `IOError`, `SocketAddressError`, …).
    public var underlying: any Error

    /// Creates the error.
    public init(configuration: KafkaListenerConfiguration, underlying: any Error) {
        self.configuration = configuration
        self.underlying = underlying
    }

    /// The address and the reason, on one line.
    public var description: String {
        "cannot listen for Kafka clients on \(configuration.host):\(configuration.port): \(underlying)"
    }
}
