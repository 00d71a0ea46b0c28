/// Where the Kafka wire-protocol listener binds (``BrokerConfiguration/kafkaListener``;
/// `brokerd --kafka-listen HOST:PORT`). Without one, the broker does not speak Kafka's protocol.
public struct KafkaListenerConfiguration: Sendable, Hashable {
    /// The address to listen on, for example `127.0.0.1`.
    public var host: String
    /// The port; `0` picks an ephemeral port (tests). Kafka's usual port is 9092.
    public var port: Int
    /// The classic group coordinator's timeouts and limits (Kafka's `group.*` broker settings).
    public var classicGroups: KafkaClassicGroupConfiguration

    /// Creates a listener address, with the classic groups' defaults unless given.
    public init(
        host: String = "127.0.0.1",
        port: Int = 9092,
        classicGroups: KafkaClassicGroupConfiguration = KafkaClassicGroupConfiguration()
    ) {
        self.host = host
        self.port = port
        self.classicGroups = classicGroups
    }
}
