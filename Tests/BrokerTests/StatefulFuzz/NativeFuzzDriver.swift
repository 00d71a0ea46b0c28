import BrokerProtocol
import Foundation
import KafkaProtocol
import NIOCore
import RecordCodec

/// Drives an embedded broker with a seeded random sequence of valid native requests carrying
/// hurtful values, and checks after every step that the broker answered, still answers a fresh
/// connection, keeps every acknowledged record at its offset with dense offsets, and stays within
/// a memory and descriptor bound. The first broken rule ends the run as a finding.
final class NativeFuzzDriver {
    struct Finding: Error, CustomStringConvertible {
        var description: String
    }

    /// How long one answer may take: generous, as a full parallel test run on 2 cores is slow.
    static let answerSeconds = 60.0
    /// Above the starting figures: far beyond what a few thousand small requests may need.
    static let memoryBoundKilobytes = 1 << 20
    static let descriptorBound = 512

    private(set) var port: Int
    /// The Kafka listener's port, when the broker runs one: Kafka steps are interleaved.
    private(set) var kafkaPort: Int?
    var kafkaConnections: [KafkaTestConnection] = []
    /// For acks = 0 produces only.
    var kafkaFireAndForget: KafkaTestConnection!
    var kafkaMembers: [String: String] = [:]
    var kafkaGenerations: [String: Int32] = [:]
    var kafkaCommitted: [KafkaCommitKey: Int64] = [:]
    var values: HurtfulValues
    var connections: [FuzzConnection] = []
    var nextCorrelationID: UInt32 = 1
    var topics: [String: Int32] = [:]
    var log = AcknowledgedLog()
    var producers: [FuzzProducer] = []
    var subscriptions: [(connection: Int, id: UInt32)] = []
    /// The group of each open subscription, by connection and id.
    var subscriptionGroups: [Int: [UInt32: String]] = [:]
    /// Per group and partition, the offset ranges an answered `ack` finished: never delivered to
    /// the group again (until a reset, a group or topic deletion).
    var finished: [String: [AcknowledgedLog.Place: [ClosedRange<Int64>]]] = [:]
    /// How many deliveries of each connection were checked.
    var deliveriesChecked: [Int] = []
    var scheduleIDs: [String] = []
    var scheduleCursor: ByteBuffer?
    /// What each step sent, for the failure report.
    var trace: [String] = []
    /// Places a step produced to, checked after it.
    var touched: Set<AcknowledgedLog.Place> = []
    let baselineKilobytes = ProcessProbe.residentKilobytes()
    let baselineDescriptors = ProcessProbe.openDescriptors()
    private(set) var steps = 0
    var requests = 0
    /// Answers seen, by API and error code (request level, then entry level): what the run reached.
    var outcomes: [String: Int] = [:]

    static let groups = ["fz-a", "fz-b", "fz-c"]
    static let topicNames = ["fz-t0", "fz-t1", "fz-t2"]

    init(seed: UInt64) {
        port = 0
        values = HurtfulValues(seed: seed)
    }

    /// An idempotent producer the broker issued, with the sequences it used per partition.
    struct FuzzProducer {
        var id: Int64
        var epoch: Int16
        var nextSequence: [AcknowledgedLog.Place: Int32] = [:]
        /// Its last five answered batches (the broker remembers five), for exact retries.
        var sent: [ProduceSent] = []
    }

    func note(_ line: String) {
        trace.append("#\(steps) \(line.count > 400 ? line.prefix(400) + "…" : line)")
        if trace.count > 40 { trace.removeFirst(trace.count - 40) }
    }

    /// Connects to a (re)started broker: the old connections, subscriptions and Kafka members are
    /// gone with the old process; message ids are dated by their records' timestamps after a restart.
    func attach(port: Int, kafkaPort: Int?) async throws {
        self.port = port
        self.kafkaPort = kafkaPort
        connections = []
        subscriptions = []
        subscriptionGroups = [:]
        deliveriesChecked = [0, 0, 0]
        kafkaConnections = []
        kafkaMembers = [:]
        kafkaGenerations = [:]
        log.messageIDOffsets = [:]
        for _ in 0..<3 { connections.append(try await FuzzConnection(port: port)) }
        if let kafkaPort {
            for _ in 0..<2 { kafkaConnections.append(try await KafkaTestConnection(port: kafkaPort)) }
            kafkaFireAndForget = try await KafkaTestConnection(port: kafkaPort)
        }
    }

    /// Runs `count` steps; throws the first finding.
    func run(steps count: Int) async throws {
        for _ in 0..<count {
            steps += 1
            touched = []
            if kafkaPort != nil, values.chance(0.35) {
                try await kafkaStep()
            } else {
                try await step()
            }
            try await checkAfterStep()
        }
    }

    /// Checks every acknowledged record and every committed Kafka offset (after a run, and after a
    /// restart: a clean stop keeps everything acknowledged).
    func checkEverything() async throws {
        try await checkAfterStep()
        for place in log.places { try await checkPlace(place) }
        guard kafkaPort != nil else { return }
        for (key, committed) in kafkaCommitted where topics[key.topic] != nil {
            let response = try await kafkaCall(
                KafkaOffsetFetchRequest(
                    groupID: key.group,
                    topics: [.init(name: key.topic, partitionIndexes: [key.partition])]
                ),
                version: 5,
                as: KafkaOffsetFetchResponse.self,
                on: 0
            )
            let found = response.topics.first?.partitions.first
            guard found?.errorCode == KafkaErrorCode.none, found?.committedOffset == committed else {
                throw Finding(
                    description:
                        "Kafka commit \(key) = \(committed) reads back as \(found.map { "\($0.committedOffset) \($0.errorCode)" } ?? "nothing")"
                )
            }
        }
    }

    // MARK: - Sending

    /// Sends `message` on connection `connection` and returns the decoded response, or `nil` for a
    /// request-level error; a missing answer, an internal error or a `malformedRequest` to a valid
    /// frame is a finding.
    func call<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as: Response.Type,
        on connection: Int? = nil
    ) async throws -> (Response?, ResponseFrame) {
        let connectionIndex = connection ?? values.int(in: 0...connections.count - 1)
        let frame = try await exchange(on: connectionIndex) { connection, id in
            try await connection.send(request, correlationID: id)
        }
        guard let frame else {
            throw Finding(description: "\(Request.apiKey): the connection closed without an answer")
        }
        outcomes["\(Request.apiKey) \(frame.errorCode)", default: 0] += 1
        switch frame.errorCode {
        case .none:
            do {
                return (try Response.decode(frame.body), frame)
            } catch {
                throw Finding(description: "\(Request.apiKey): the answer does not decode: \(error)")
            }
        case .unknownServerError, .malformedRequest:
            var body = frame.body
            let message = body.readWireStringIfPossible() ?? ""
            throw Finding(
                description: "\(Request.apiKey): request-level \(frame.errorCode) to a valid frame: \(message)"
            )
        default:
            return (nil, frame)
        }
    }

    /// Sends with a fresh correlation id and waits for its answer (`nil`: the connection closed).
    func exchange(
        on connectionIndex: Int,
        _ send: (FuzzConnection, UInt32) async throws -> Void
    ) async throws -> ResponseFrame? {
        let connection = connections[connectionIndex]
        let id = nextCorrelationID
        nextCorrelationID = nextCorrelationID == PushFrame.correlationID - 1 ? 1 : nextCorrelationID + 1
        requests += 1
        do {
            try await send(connection, id)
        } catch {
            throw Finding(description: "sending on connection \(connectionIndex) failed: \(error)")
        }
        do {
            return try await connection.response(id, timeoutSeconds: Self.answerSeconds)
        } catch {
            throw Finding(description: "no answer: \(error)")
        }
    }

    /// Replaces a connection the broker closed (after a documented close) by a new one; its
    /// subscriptions end with it.
    func reopen(_ connectionIndex: Int) async throws {
        connections[connectionIndex] = try await FuzzConnection(port: port)
        subscriptions.removeAll { $0.connection == connectionIndex }
        subscriptionGroups[connectionIndex] = [:]
        deliveriesChecked[connectionIndex] = 0
    }

    /// Entry-level errors must never be internal ones.
    func checkEntries(_ codes: [ErrorCode], _ messages: [String?], api: APIKey) throws {
        for code in codes { outcomes["\(api) entry \(code)", default: 0] += 1 }
        for (code, message) in zip(codes, messages) where code == .unknownServerError {
            throw Finding(description: "\(api): entry-level unknownServerError: \(message ?? "")")
        }
    }

    // MARK: - Checks after every step

    func checkAfterStep() async throws {
        for (index, connection) in connections.enumerated() {
            if let problem = connection.problems.first { throw Finding(description: problem) }
            if connection.isClosed { throw Finding(description: "the broker closed connection \(index)") }
        }
        try checkDeliveries()
        for (index, connection) in kafkaConnections.enumerated() where connection.isClosed {
            throw Finding(description: "the broker closed Kafka connection \(index)")
        }
        let fresh = try await FuzzConnection(port: port)
        let id: UInt32 = 7
        try await fresh.send(ListTopicsRequest(), correlationID: id)
        guard let frame = try await fresh.response(id, timeoutSeconds: Self.answerSeconds), frame.errorCode == .none
        else {
            throw Finding(description: "a fresh connection got no answer to listTopics")
        }
        let listed = try ListTopicsResponse.decode(frame.body)
        topics = Dictionary(listed.topics.map { ($0.topic, $0.partitionCount) }, uniquingKeysWith: { a, _ in a })
        try await fresh.channel.close()
        for place in touched { try await checkPlace(place) }
        guard StatefulFuzzSettings.checksResources else { return }
        let resident = ProcessProbe.residentKilobytes()
        if resident > baselineKilobytes + Self.memoryBoundKilobytes {
            throw Finding(description: "resident memory \(resident) KiB (started at \(baselineKilobytes) KiB)")
        }
        let descriptors = ProcessProbe.openDescriptors()
        if descriptors > baselineDescriptors + Self.descriptorBound {
            throw Finding(description: "\(descriptors) open descriptors (started at \(baselineDescriptors))")
        }
    }

    func checkPlace(_ place: AcknowledgedLog.Place) async throws {
        guard topics[place.topic] != nil else { return }
        let problem = try await log.check(place) { offset in
            let request = FetchRequest(
                maxWaitMilliseconds: 0,
                minBytes: 0,
                maxBytes: 4 << 20,
                topics: [
                    .init(
                        topic: place.topic,
                        partitions: [.init(partition: place.partition, offset: offset, maxBytes: 4 << 20)]
                    )
                ]
            )
            let (response, frame) = try await self.call(request, as: FetchResponse.self, on: 0)
            guard let data = response?.topics.first?.partitions.first else {
                throw Finding(description: "check fetch of \(place) refused: \(frame.errorCode)")
            }
            return data
        }
        if let problem { throw Finding(description: problem) }
    }
}

extension ByteBuffer {
    /// The wire string at the reader index, if there is one.
    mutating func readWireStringIfPossible() -> String? { try? readWireString("message") }
}
