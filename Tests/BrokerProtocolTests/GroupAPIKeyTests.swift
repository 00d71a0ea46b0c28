import BrokerProtocol
import Testing

/// The consumer-group API keys are stable wire numbers too.
@Suite("Group API keys")
struct GroupAPIKeyTests {
    static let pinned: [(key: APIKey, number: UInt16, name: String)] = [
        (.subscribe, 20, "subscribe"),
        (.credit, 21, "credit"),
        (.deliver, 22, "deliver"),
        (.ack, 23, "ack"),
        (.nack, 24, "nack"),
        (.reject, 25, "reject"),
        (.extend, 26, "extend"),
        (.leave, 27, "leave"),
        (.listGroups, 28, "listGroups"),
        (.describeGroup, 29, "describeGroup"),
        (.resetGroup, 30, "resetGroup"),
        (.deleteGroup, 31, "deleteGroup"),
        (.redriveDeadLetters, 60, "redriveDeadLetters"),
    ]

    @Test func numbersAndNamesArePinned() {
        for entry in Self.pinned {
            #expect(entry.key.rawValue == entry.number, "\(entry.name)")
            #expect(entry.key.description == entry.name)
        }
        #expect(APIKey(rawValue: 32).description == "api 32")
        #expect(APIKey(rawValue: 61).description == "api 61")
    }

    /// Every key is served or a push: exactly one of them.
    @Test func everyKeyIsListedOnce() {
        let groupKeys = Set(Self.pinned.map(\.key))
        let served = ProtocolVersions.supported.map(\.apiKey).filter { groupKeys.contains($0) }
        let listed = served + ProtocolVersions.pushes.map(\.apiKey)
        #expect(Set(listed) == Set(Self.pinned.map(\.key)))
        #expect(listed.count == Self.pinned.count)
    }
}
