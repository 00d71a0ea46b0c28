/// The API versions this build of Sluice speaks, and the request/response pair of each API.
public enum ProtocolVersions {
    /// Every API with its supported version range; the broker announces these in the handshake.
    public static let supported: [HandshakeResponse.VersionRange] = [
        .init(apiKey: .handshake, minVersion: 0, maxVersion: 0),
        .init(apiKey: .produce, minVersion: 0, maxVersion: 0),
        .init(apiKey: .fetch, minVersion: 0, maxVersion: 0),
        .init(apiKey: .listOffsets, minVersion: 0, maxVersion: 0),
        .init(apiKey: .createTopic, minVersion: 0, maxVersion: 0),
        .init(apiKey: .listTopics, minVersion: 0, maxVersion: 0),
        .init(apiKey: .describeTopic, minVersion: 0, maxVersion: 0),
        .init(apiKey: .deleteTopic, minVersion: 0, maxVersion: 0),
        .init(apiKey: .addPartitions, minVersion: 0, maxVersion: 0),
        .init(apiKey: .brokerStatus, minVersion: 0, maxVersion: 0),
        .init(apiKey: .initProducer, minVersion: 0, maxVersion: 0),
    ]

    /// The supported range of `apiKey`, or `nil` if the API is unknown.
    public static func range(of apiKey: APIKey) -> HandshakeResponse.VersionRange? {
        supported.first { $0.apiKey == apiKey }
    }
}
