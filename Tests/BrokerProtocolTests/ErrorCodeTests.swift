import BrokerProtocol
import Testing

/// Error codes are stable wire numbers: renumbering or renaming one must fail here (and be a
/// deliberate protocol change, reflected in docs/PROTOCOL.md).
@Suite("ErrorCode")
struct ErrorCodeTests {
    static let pinned: [(code: ErrorCode, number: Int16, message: String)] = [
        (.none, 0, "no error"),
        (.unknownServerError, 1, "unknown server error"),
        (.malformedRequest, 2, "malformed request"),
        (.unsupportedAPI, 3, "unsupported API"),
        (.unsupportedVersion, 4, "unsupported API version"),
        (.frameTooLarge, 5, "frame too large"),
        (.unknownTopic, 6, "unknown topic"),
        (.unknownPartition, 7, "unknown partition"),
        (.topicAlreadyExists, 8, "topic already exists"),
        (.invalidTopicName, 9, "invalid topic name"),
        (.reservedTopicName, 10, "reserved topic name"),
        (.invalidTopicConfiguration, 11, "invalid topic configuration"),
        (.offsetOutOfRange, 12, "offset out of range"),
        (.corruptRecordBatch, 13, "corrupt record batch"),
        (.recordBatchTooLarge, 14, "record batch too large"),
        (.storageError, 15, "storage error"),
        (.outOfOrderSequence, 16, "out of order sequence number"),
        (.unknownProducer, 17, "unknown producer"),
        (.limitExceeded, 18, "limit exceeded"),
        (.invalidRequest, 19, "invalid request"),
        (.shuttingDown, 20, "broker shutting down"),
        (.requestTimedOut, 21, "request timed out"),
        (.invalidTimestamp, 22, "invalid timestamp"),
        (.offsetsLost, 23, "offsets lost"),
        (.unknownGroup, 24, "unknown group"),
        (.groupHasMembers, 25, "group has members"),
        (.groupSettingsConflict, 26, "group settings conflict"),
        (.unknownSubscription, 27, "unknown subscription"),
        (.notDelivered, 28, "not delivered"),
        (.invalidGroupName, 29, "invalid group name"),
        (.groupKindMismatch, 30, "group kind mismatch"),
    ]

    @Test func numbersArePinned() {
        for entry in Self.pinned {
            #expect(entry.code.rawValue == entry.number, "\(entry.message)")
            #expect(ErrorCode(rawValue: entry.number) == entry.code)
        }
        #expect(Self.pinned.map(\.number) == Array(0...30), "codes are dense from 0; new ones go at the end")
    }

    @Test func messagesArePinned() {
        for entry in Self.pinned {
            #expect(entry.code.description == entry.message)
        }
        #expect(Set(Self.pinned.map(\.message)).count == Self.pinned.count)
    }

    @Test(arguments: [Int16(31), 99, -1, .max, .min])
    func unknownCodesDescribeTheirNumber(_ number: Int16) {
        #expect(ErrorCode(rawValue: number).description == "error \(number)")
    }

    @Test func protocolErrorDescription() {
        let error = ProtocolError(.frameTooLarge, "17 bytes")
        #expect(error.description == "frame too large: 17 bytes")
    }
}
