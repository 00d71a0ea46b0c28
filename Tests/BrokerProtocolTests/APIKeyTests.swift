import BrokerProtocol
import Testing

/// API keys are stable wire numbers, and every one is announced in the handshake.
@Suite("APIKey and ProtocolVersions")
struct APIKeyTests {
    static let pinned: [(key: APIKey, number: UInt16, name: String)] = [
        (.handshake, 0, "handshake"),
        (.produce, 1, "produce"),
        (.fetch, 2, "fetch"),
        (.listOffsets, 3, "listOffsets"),
        (.createTopic, 4, "createTopic"),
        (.listTopics, 5, "listTopics"),
        (.describeTopic, 6, "describeTopic"),
        (.deleteTopic, 7, "deleteTopic"),
        (.addPartitions, 8, "addPartitions"),
        (.brokerStatus, 9, "brokerStatus"),
        (.initProducer, 10, "initProducer"),
        // A consumer group's members and its description (every group key is pinned in GroupAPIKeyTests).
        (.subscribe, 20, "subscribe"),
        (.credit, 21, "credit"),
        (.ack, 23, "ack"),
        (.nack, 24, "nack"),
        (.reject, 25, "reject"),
        (.extend, 26, "extend"),
        (.leave, 27, "leave"),
        (.listGroups, 28, "listGroups"),
        (.describeGroup, 29, "describeGroup"),
        (.resetGroup, 30, "resetGroup"),
        (.deleteGroup, 31, "deleteGroup"),
        // Delayed delivery.
        (.schedule, 40, "schedule"),
        (.cancelSchedule, 41, "cancelSchedule"),
        (.listSchedules, 42, "listSchedules"),
        // Dead letters.
        (.redriveDeadLetters, 60, "redriveDeadLetters"),
    ]

    @Test func numbersAndNamesArePinned() {
        for entry in Self.pinned {
            #expect(entry.key.rawValue == entry.number, "\(entry.name)")
            #expect(entry.key.description == entry.name)
        }
        #expect(APIKey(rawValue: 11).description == "api 11")
    }

    /// `ProtocolVersions.supported` announces exactly the APIs above, once each, at version 0
    /// (`brokerStatus` 0-2).
    @Test func everyAPIIsSupported() throws {
        #expect(ProtocolVersions.supported.map(\.apiKey) == Self.pinned.map(\.key))
        for entry in Self.pinned {
            let range = try #require(ProtocolVersions.range(of: entry.key), "\(entry.name)")
            #expect(range.apiKey == entry.key)
            #expect(range.minVersion == 0)
            #expect(range.maxVersion == (entry.key == .brokerStatus ? 2 : 0))
        }
    }

    /// Nothing else is served in the ranges reserved for groups (20-39), schedules (40-59) and
    /// dead letters (60-79), nor past them.
    @Test func reservedRangesAreUnused() {
        let served = Set(Self.pinned.map(\.number))
        for number in UInt16(11)...200 where !served.contains(number) {
            #expect(ProtocolVersions.range(of: APIKey(rawValue: number)) == nil, "api \(number)")
        }
        #expect(ProtocolVersions.range(of: APIKey(rawValue: .max)) == nil)
    }
}
