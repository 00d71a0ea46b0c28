/// Where the Kafka wire-protocol listener binds (``BrokerConfiguration/kafkaListener``;
/// `brokerd --kafka-listen HOST:PORT`). Without one, the broker does not speak Kafka's protocol.
public struct KafkaListenerConfiguration: Sendable, Hashable {
    /// The address to listen on, for example `127.0.0.1`.
    public var host: String
    /// The port; `0` picks an ephemeral port (tests). Kafka's usual port is 9092.
    public var port: Int
    /// The classic groups' timeouts and limits (`brokerd --kafka-max-groups`, ...).
    public var groups: KafkaClassicGroupConfiguration
    /// The committed offsets' limits (`brokerd --kafka-max-offset-groups`, ...); checked when the
    /// broker starts.
    public var offsets: KafkaOffsetLimits

    /// Creates a listener address.
    public init(
        host: String = "127.0.0.1",
        port: Int = 9092,
        groups: KafkaClassicGroupConfiguration = KafkaClassicGroupConfiguration(),
        offsets: KafkaOffsetLimits = KafkaOffsetLimits()
    ) {
        self.host = host
        self.port = port
        self.groups = groups
        self.offsets = offsets
    }
}
