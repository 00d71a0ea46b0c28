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
        .init(apiKey: .brokerStatus, minVersion: 0, maxVersion: 2),
        .init(apiKey: .initProducer, minVersion: 0, maxVersion: 0),
        // A consumer group's members.
        .init(apiKey: .subscribe, minVersion: 0, maxVersion: 0),
        .init(apiKey: .credit, minVersion: 0, maxVersion: 0),
        .init(apiKey: .ack, minVersion: 0, maxVersion: 0),
        .init(apiKey: .nack, minVersion: 0, maxVersion: 0),
        .init(apiKey: .reject, minVersion: 0, maxVersion: 0),
        .init(apiKey: .extend, minVersion: 0, maxVersion: 0),
        .init(apiKey: .leave, minVersion: 0, maxVersion: 0),
        // Consumer-group administration.
        .init(apiKey: .listGroups, minVersion: 0, maxVersion: 0),
        .init(apiKey: .describeGroup, minVersion: 0, maxVersion: 0),
        .init(apiKey: .resetGroup, minVersion: 0, maxVersion: 0),
        .init(apiKey: .deleteGroup, minVersion: 0, maxVersion: 0),
        // Delayed delivery.
        .init(apiKey: .schedule, minVersion: 0, maxVersion: 0),
        .init(apiKey: .cancelSchedule, minVersion: 0, maxVersion: 0),
        .init(apiKey: .listSchedules, minVersion: 0, maxVersion: 0),
        // Dead letters.
        .init(apiKey: .redriveDeadLetters, minVersion: 0, maxVersion: 0),
    ]

    /// The pushes (frames the broker sends unasked, ``PushFrame``) and their versions. A push is not a request: its key is never announced in the handshake and a
    /// request with it is refused. `deliver` v0 is what a subscription made with `subscribe` v0 gets.
    public static let pushes: [HandshakeResponse.VersionRange] = [
        .init(apiKey: .deliver, minVersion: 0, maxVersion: 0)
    ]

    /// The supported range of `apiKey`, or `nil` if the API is unknown.
    public static func range(of apiKey: APIKey) -> HandshakeResponse.VersionRange? {
        supported.first { $0.apiKey == apiKey }
    }
}
