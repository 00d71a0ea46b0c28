import BrokerProtocol
import Foundation
import KafkaProtocol
import NIOCore
import RecordCodec

/// Kafka listener steps, interleaved with the native ones when the broker runs the listener: the
/// same model of acknowledged records (checked through native fetches) and the same checks.
extension NativeFuzzDriver {
    static let kafkaGroups = ["fzk-a", "fzk-b"]

    /// Sends a Kafka request and decodes its answer (in order); `acks` 0 produces get none.
    func kafkaCall<Request: KafkaRequestBody, Response: KafkaResponseBody>(
        _ request: Request,
        version: Int16,
        as: Response.Type,
        on connection: Int? = nil
    ) async throws -> Response {
        let index = connection ?? values.int(in: 0...kafkaConnections.count - 1)
        requests += 1
        let kafka = kafkaConnections[index]
        do {
            let id = try await kafka.send(request, version: version)
            let frame = try await kafka.nextFrame(timeoutSeconds: Self.answerSeconds)
            let (header, body) = try Response.decodeFrame(frame, version: version)
            guard header.correlationID == id else {
                throw Finding(description: "Kafka \(Request.self): answer to \(header.correlationID), expected \(id)")
            }
            return body
        } catch let finding as Finding {
            throw finding
        } catch {
            throw Finding(description: "Kafka \(Request.self) v\(version): \(error)")
        }
    }

    /// A version the listener serves (`KafkaAPIVersions.supported`), from `minimum` up.
    func kafkaVersion(_ key: KafkaAPIKey, from minimum: Int16 = 0) -> Int16 {
        guard let range = KafkaAPIVersions.supported.first(where: { $0.apiKey == key }) else { return 0 }
        return Int16(values.int(in: Int(max(range.minimumVersion, minimum))...Int(range.maximumVersion)))
    }

    /// A topic name for Kafka, whose strings are at most 32,767 bytes.
    func kafkaTopic() -> String {
        let topic = pickTopic()
        return topic.utf8.count > Int(Int16.max) ? String(repeating: "t", count: Int(Int16.max)) : topic
    }

    /// One of the fuzzer's Kafka groups, now and then a name of 250 or 32,767 bytes.
    func kafkaGroup() -> String {
        values.chance(0.97)
            ? values.pick(Self.kafkaGroups) : String(repeating: "g", count: values.pick([250, Int(Int16.max)]))
    }

    func checkKafka(_ codes: [KafkaErrorCode], _ what: String) throws {
        for code in codes { outcomes["kafka \(what) \(code)", default: 0] += 1 }
        if codes.contains(.unknownServerError) {
            throw Finding(description: "Kafka \(what): UNKNOWN_SERVER_ERROR")
        }
    }

    func kafkaStep() async throws {
        switch values.int(in: 0...99) {
        case 0..<35: try await kafkaProduce()
        case 35..<50: try await kafkaFetch()
        case 50..<58: try await kafkaListOffsets()
        case 58..<72: try await kafkaCommit()
        case 72..<82: try await kafkaOffsetFetch()
        case 82..<85: try await kafkaJoin()
        case 85..<93: try await kafkaSync()
        default: try await kafkaHeartbeat()
        }
    }

    func kafkaProduce() async throws {
        let topic = kafkaTopic()
        let partition = pickPartition(of: topic)
        let place = AcknowledgedLog.Place(topic: topic, partition: partition)
        let acks: Int16 = values.chance(0.9) ? values.pick([-1, 1, 0]) : values.pick([2, -2, .max, .min])
        var identity = ProducerIdentity.none
        var record = true
        var producerIndex: Int?
        if !producers.isEmpty, values.chance(0.5) {
            let index = values.int(in: 0...producers.count - 1)
            if values.chance(0.7) {
                producerIndex = index
                guard partition >= 0 else { return try await kafkaFetch() }
                identity = ProducerIdentity(
                    producerId: producers[index].id,
                    producerEpoch: producers[index].epoch,
                    baseSequence: producers[index].nextSequence[place] ?? 0
                )
            } else {
                identity = ProducerIdentity(
                    producerId: values.chance(0.5) ? producers[index].id : values.int64(ordinary: 0...1000),
                    producerEpoch: values.int16(ordinary: -1...2),
                    baseSequence: values.int32(ordinary: 0...50)
                )
                record = false
            }
        }
        let count = values.int(in: 1...4)
        var contents: [AcknowledgedLog.Content] = []
        let records = (0..<count).map { index in
            let value = ByteBuffer(string: "k\(steps)-\(index)")
            contents.append(.init(key: nil, value: value))
            return Record(value: value, headers: [], timestamp: timestamp())
        }
        let batch = RecordBatch(records: records, producer: identity).buffer
        let version = kafkaVersion(.produce)
        let timeout = values.int32(ordinary: 1_000...30_000)
        note(
            "kafka produce v\(version) \(place) acks \(acks) timeout \(timeout) pid \(identity.producerId)/\(identity.producerEpoch)/\(identity.baseSequence)"
        )
        let request = KafkaProduceRequest(
            acks: acks,
            timeoutMs: timeout,
            topics: [.init(name: topic, partitions: [.init(partitionIndex: partition, records: batch)])]
        )
        if acks == 0 {
            // A failed acks = 0 produce closes the connection (KAFKA.md): these go on a connection
            // of their own, opened again when the broker closed it.
            if kafkaFireAndForget.isClosed, let kafkaPort {
                kafkaFireAndForget = try await KafkaTestConnection(port: kafkaPort)
            }
            requests += 1
            if let producerIndex {
                producers[producerIndex].nextSequence[place] = identity.baseSequence &+ Int32(count)
            }
            try? await kafkaFireAndForget.send(request, version: version)
            return
        }
        let response = try await kafkaCall(request, version: version, as: KafkaProduceResponse.self)
        let results = response.topics.flatMap(\.partitions)
        try checkKafka(results.map(\.errorCode), "produce")
        guard let result = results.first, result.errorCode == .none else { return }
        if ![Int16(-1), 1].contains(acks) {
            throw Finding(
                description: "Kafka produce with acks \(acks) was served (Kafka answers INVALID_REQUIRED_ACKS)"
            )
        }
        if let index = producerIndex
            ?? producers.firstIndex(where: { $0.id == identity.producerId && $0.epoch == identity.producerEpoch })
        {
            // Taken: the broker now expects the sequence after this batch (a hostile one included).
            producers[index].nextSequence[place] = identity.baseSequence &+ Int32(count)
        }
        guard record else { return }
        for (index, content) in contents.enumerated() {
            if let problem = log.acknowledge(place, offset: result.baseOffset + Int64(index), content) {
                throw Finding(description: problem)
            }
        }
        touched.insert(place)
    }

    func kafkaFetch() async throws {
        let topic = kafkaTopic()
        let partition = pickPartition(of: topic)
        let offset = values.int64(ordinary: 0...50)
        let partitionMax = values.int32(ordinary: 1...100_000)
        let wait: Int32 = values.chance(0.9) ? Int32(values.int(in: 0...20)) : values.pick([-1, .min])
        let version = kafkaVersion(.fetch)
        note("kafka fetch v\(version) \(topic)/\(partition)@\(offset) max \(partitionMax) wait \(wait)")
        let request = KafkaFetchRequest(
            maxWaitMs: wait,
            minBytes: values.chance(0.5) ? 0 : 1,
            maxBytes: values.int32(ordinary: 1...1_000_000),
            topics: [
                .init(
                    name: topic,
                    partitions: [.init(partitionIndex: partition, fetchOffset: offset, partitionMaxBytes: partitionMax)]
                )
            ]
        )
        let response = try await kafkaCall(request, version: version, as: KafkaFetchResponse.self)
        try checkKafka(response.topics.flatMap(\.partitions).map(\.errorCode), "fetch")
    }

    func kafkaListOffsets() async throws {
        let topic = kafkaTopic()
        let version = kafkaVersion(.listOffsets)
        let timestamp = values.int64(ordinary: -2...(-1))
        note("kafka listOffsets v\(version) \(topic) at \(timestamp)")
        let request = KafkaListOffsetsRequest(
            topics: [
                .init(
                    name: topic,
                    partitions: [
                        .init(
                            partitionIndex: pickPartition(of: topic),
                            timestamp: timestamp,
                            maxNumOffsets: values.int32(ordinary: 1...2)
                        )
                    ]
                )
            ]
        )
        let response = try await kafkaCall(request, version: version, as: KafkaListOffsetsResponse.self)
        try checkKafka(response.topics.flatMap(\.partitions).map(\.errorCode), "listOffsets")
    }

    func kafkaMember(_ group: String) -> String {
        if let member = kafkaMembers[group], values.chance(0.7) { return member }
        return values.pick(["", "nobody", String(repeating: "m", count: 1000)])
    }

    func kafkaCommit() async throws {
        let group = kafkaGroup()
        let topic = kafkaTopic()
        let partition = pickPartition(of: topic)
        let offset = values.int64(ordinary: 0...50)
        let generation = values.chance(0.5) ? -1 : values.int32(ordinary: 0...3)
        let member = generation == -1 ? "" : kafkaMember(group)
        let version = kafkaVersion(.offsetCommit)
        note(
            "kafka offsetCommit v\(version) \(group) gen \(generation) member \(member.prefix(12)) \(topic)/\(partition)=\(offset)"
        )
        let retention = values.chance(0.8) ? -1 : values.int64(ordinary: 0...1000)
        let request = KafkaOffsetCommitRequest(
            groupID: group,
            generationID: generation,
            memberID: member,
            retentionTimeMs: retention,
            topics: [
                .init(
                    name: topic,
                    partitions: [
                        .init(
                            partitionIndex: partition,
                            committedOffset: offset,
                            committedMetadata: values.chance(0.8)
                                ? nil : String(repeating: "d", count: values.pick([0, 1, 4096, 4097]))
                        )
                    ]
                )
            ]
        )
        let response = try await kafkaCall(request, version: version, as: KafkaOffsetCommitResponse.self, on: 0)
        let codes = response.topics.flatMap(\.partitions).map(\.errorCode)
        try checkKafka(codes, "offsetCommit")
        let key = KafkaCommitKey(group: group, topic: topic, partition: partition)
        // A retention time (v2-v4) may expire the commit before it is read back.
        if codes == [.none] { kafkaCommitted[key] = retention == -1 || !(2...4).contains(version) ? offset : nil }
    }

    func kafkaOffsetFetch() async throws {
        let group = kafkaGroup()
        let topic = kafkaTopic()
        let partition = pickPartition(of: topic)
        let version = kafkaVersion(.offsetFetch, from: 1)
        note("kafka offsetFetch v\(version) \(group) \(topic)/\(partition)")
        let request = KafkaOffsetFetchRequest(
            groupID: group,
            topics: [.init(name: topic, partitionIndexes: [partition])]
        )
        let response = try await kafkaCall(request, version: version, as: KafkaOffsetFetchResponse.self, on: 0)
        try checkKafka([response.errorCode] + response.topics.flatMap(\.partitions).map(\.errorCode), "offsetFetch")
        let key = KafkaCommitKey(group: group, topic: topic, partition: partition)
        guard let committed = kafkaCommitted[key], topics[topic] != nil,
            let found = response.topics.first?.partitions.first, found.errorCode == .none
        else { return }
        if found.committedOffset != committed {
            throw Finding(description: "Kafka offsetFetch \(key): \(found.committedOffset), committed \(committed)")
        }
    }

    func kafkaJoin() async throws {
        let group = kafkaGroup()
        let member = values.chance(0.5) ? "" : kafkaMember(group)
        let session = values.chance(0.8) ? Int32(values.int(in: 6_000...10_000)) : values.pick([0, -1, .max, 5_999])
        let rebalance = values.chance(0.8) ? Int32(values.int(in: 1_000...5_000)) : values.pick([-1, 0, 1])
        let version = kafkaVersion(.joinGroup)
        note(
            "kafka joinGroup v\(version) \(group) member \(member.prefix(12)) session \(session) rebalance \(rebalance)"
        )
        let request = KafkaJoinGroupRequest(
            groupID: group,
            sessionTimeoutMs: session,
            rebalanceTimeoutMs: rebalance,
            memberID: member,
            protocolType: "consumer",
            protocols: [.init(name: "range", metadata: ByteBuffer(bytes: values.bytes(values.pick([0, 2, 64]))))]
        )
        let response = try await kafkaCall(request, version: version, as: KafkaJoinGroupResponse.self, on: 1)
        try checkKafka([response.errorCode], "joinGroup")
        if !response.memberID.isEmpty { kafkaMembers[group] = response.memberID }
        if response.errorCode == .none { kafkaGenerations[group] = response.generationID }
    }

    func kafkaSync() async throws {
        let group = kafkaGroup()
        let member = kafkaMember(group)
        let generation =
            kafkaGenerations[group].flatMap { values.chance(0.6) ? $0 : nil } ?? values.int32(ordinary: -1...3)
        let version = kafkaVersion(.syncGroup)
        note("kafka syncGroup v\(version) \(group) gen \(generation) member \(member.prefix(12))")
        let request = KafkaSyncGroupRequest(
            groupID: group,
            generationID: generation,
            memberID: member,
            assignments: values.chance(0.5) ? [] : [.init(memberID: member, assignment: ByteBuffer(bytes: [1, 2, 3]))]
        )
        let response = try await kafkaCall(request, version: version, as: KafkaSyncGroupResponse.self, on: 1)
        try checkKafka([response.errorCode], "syncGroup")
    }

    func kafkaHeartbeat() async throws {
        let group = kafkaGroup()
        let member = kafkaMember(group)
        let generation =
            kafkaGenerations[group].flatMap { values.chance(0.6) ? $0 : nil } ?? values.int32(ordinary: -1...3)
        let version = kafkaVersion(.heartbeat)
        if values.chance(0.2) {
            note("kafka leaveGroup v\(version) \(group) member \(member.prefix(12))")
            let response = try await kafkaCall(
                KafkaLeaveGroupRequest(groupID: group, members: [.init(memberID: member)]),
                version: version,
                as: KafkaLeaveGroupResponse.self,
                on: 1
            )
            try checkKafka([response.errorCode] + response.members.map(\.errorCode), "leaveGroup")
            return
        }
        note("kafka heartbeat v\(version) \(group) gen \(generation) member \(member.prefix(12))")
        let response = try await kafkaCall(
            KafkaHeartbeatRequest(groupID: group, generationID: generation, memberID: member),
            version: version,
            as: KafkaHeartbeatResponse.self,
            on: 1
        )
        try checkKafka([response.errorCode], "heartbeat")
    }
}

/// A committed Kafka offset's place.
struct KafkaCommitKey: Hashable, CustomStringConvertible {
    var group: String
    var topic: String
    var partition: Int32
    var description: String { "\(group) \(topic)/\(partition)" }
}
