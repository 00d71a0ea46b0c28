import BrokerProtocol
import Foundation
import NIOCore
import RecordCodec

/// Produce, fetch, offsets, topics and producers.
extension NativeFuzzDriver {
    func step() async throws {
        let roll = values.int(in: 0...99)
        switch roll {
        case 0..<22: try await produce()
        case 22..<30: try await fetch()
        case 30..<33: try await listOffsets()
        case 33..<36: try await createTopic()
        case 36..<37: try await deleteTopic()
        case 37..<39: try await addPartitions()
        case 39..<42: try await initProducer()
        case 42..<48: try await subscribe()
        case 48..<53: try await credit()
        case 53..<60: try await acknowledge()
        case 60..<64: try await nack()
        case 64..<67: try await reject()
        case 67..<69: try await extend()
        case 69..<70: try await leave()
        case 70..<75: try await groupAdministration()
        case 75..<85: try await schedule()
        case 85..<89: try await cancelSchedules()
        case 89..<93: try await listSchedules()
        case 93..<95: try await invertedAckRange()
        default: try await status()
        }
    }

    /// A topic the broker has (mostly), else one of the fuzzer's names.
    func pickTopic() -> String {
        if !topics.isEmpty, values.chance(0.85) { return values.pick(topics.keys.sorted()) }
        // The longest string the wire allows: answers that quote it must still fit.
        if values.chance(0.03) { return String(repeating: "t", count: 65_534) }
        return values.pick(Self.topicNames)
    }

    func pickPartition(of topic: String) -> Int32 {
        let count = topics[topic] ?? 1
        if values.chance(0.85) { return Int32(values.int(in: 0...Int(max(count, 1)) - 1)) }
        return values.pick([-1, count, count + 1, Int32.max, Int32.min, -2])
    }

    func timestamp() -> Int64 {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return values.chance(0.7) ? now - Int64(values.int(in: 0...5000)) : values.int64(ordinary: now - 1...now)
    }

    enum ProduceMode: CaseIterable { case plain, messageIDs, idempotent, retry, hostileProducer }

    /// `count` records with fresh values, or (with `messageIDs`) ids from a small pool whose values
    /// are a function of the id, so that a deduplicated record has the bytes of its first copy.
    func makeRecords(
        _ count: Int,
        messageIDs: Bool
    ) -> [(record: Record, content: AcknowledgedLog.Content, id: String?)] {
        (0..<count).map { index in
            if messageIDs {
                let id = "m\(values.int(in: 0...30))"
                let value = ByteBuffer(string: "value-of-\(id)")
                let header = RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(string: id))
                return (
                    Record(value: value, headers: [header], timestamp: timestamp()), .init(key: nil, value: value), id
                )
            }
            let key = values.chance(0.3) ? ByteBuffer(string: "k\(values.int(in: 0...3))") : nil
            let value = ByteBuffer(string: "s\(steps)-\(index)")
            return (
                Record(key: key, value: value, headers: [], timestamp: timestamp()), .init(key: key, value: value), nil
            )
        }
    }

    func produce() async throws {
        let topic = pickTopic()
        var mode = values.pick(ProduceMode.allCases)
        if producers.isEmpty, mode == .idempotent || mode == .retry { mode = .plain }
        // An idempotent producer's sequences are per partition: the fuzzer names the partition.
        let partition = mode == .idempotent ? max(0, pickPartition(of: topic)) : pickPartition(of: topic)
        let place = AcknowledgedLog.Place(topic: topic, partition: partition)
        let acks = values.pick(Acks.allCases)
        let timeout = values.uint32(ordinary: 1_000...30_000)
        let count = values.chance(0.9) ? values.int(in: 1...5) : values.pick([1, 100, 1000])
        let hasMessageIDs = mode == .messageIDs || (mode != .plain && values.chance(0.4))
        let made = makeRecords(count, messageIDs: hasMessageIDs)
        var identity = ProducerIdentity.none
        var producer: ProduceSent.Producer?
        var record = true
        switch mode {
        case .plain, .messageIDs: break
        case .idempotent:
            let index = values.int(in: 0...producers.count - 1)
            let sequence = producers[index].nextSequence[place] ?? 0
            identity = ProducerIdentity(
                producerId: producers[index].id,
                producerEpoch: producers[index].epoch,
                baseSequence: sequence
            )
            producer = .init(index: index, place: place, sequence: sequence)
        case .hostileProducer:
            let known = producers.isEmpty ? nil : values.pick(producers)
            identity = ProducerIdentity(
                producerId: known.flatMap { values.chance(0.6) ? $0.id : nil } ?? values.int64(ordinary: 0...1000),
                producerEpoch: known.flatMap { values.chance(0.3) ? $0.epoch : nil } ?? values.int16(ordinary: -1...3),
                baseSequence: values.int32(ordinary: 0...100)
            )
            // Kafka's rule: the same producer, epoch and sequences are a retry, whatever the bytes,
            // so a record answered as such is not a new acknowledgement.
            record = false
        case .retry:
            let index = values.int(in: 0...producers.count - 1)
            guard let sent = producers[index].sent.isEmpty ? nil : values.pick(producers[index].sent) else {
                return try await status()
            }
            note("produce retry of \(sent.place) offsets \(sent.offsets.first ?? -1)... ids \(sent.hasMessageIDs)")
            return try await send(
                ProduceRequest(
                    acks: acks == .none ? .written : acks,
                    timeoutMilliseconds: 30_000,
                    topic: sent.place.topic,
                    partitions: [
                        .init(partition: sent.place.partition, hasMessageIDs: sent.hasMessageIDs, records: sent.batch)
                    ]
                ),
                ProduceSent(
                    place: sent.place,
                    batch: sent.batch,
                    hasMessageIDs: sent.hasMessageIDs,
                    contents: sent.contents,
                    ids: sent.ids
                ),
                record: true,
                producer: nil,
                retryOf: sent.offsets
            )
        }
        let batch = RecordBatch(records: made.map(\.record), producer: identity).buffer
        let request = ProduceRequest(
            acks: acks,
            timeoutMilliseconds: timeout,
            topic: topic,
            partitions: [.init(partition: partition, hasMessageIDs: hasMessageIDs, records: batch)]
        )
        note(
            "produce \(mode) \(place) acks \(acks) timeout \(timeout) records \(count) ids \(hasMessageIDs) "
                + "pid \(identity.producerId)/\(identity.producerEpoch)/\(identity.baseSequence)"
        )
        try await send(
            request,
            ProduceSent(
                place: place,
                batch: batch,
                hasMessageIDs: hasMessageIDs,
                contents: made.map(\.content),
                ids: made.map(\.id)
            ),
            record: record,
            producer: producer,
            retryOf: nil
        )
    }

    func send(
        _ request: ProduceRequest,
        _ sent: ProduceSent,
        record: Bool,
        producer: ProduceSent.Producer?,
        retryOf: [Int64]?
    ) async throws {
        let count = Int32(sent.contents.count)
        if request.acks == .none {
            // Unanswered: if it was taken, its sequences are used (the next batch follows them); if
            // not, the next batch is a gap and refused. Either way nothing wrong is recorded.
            if let producer { producers[producer.index].nextSequence[producer.place] = producer.sequence &+ count }
            let connection = values.int(in: 0...connections.count - 1)
            let id = nextCorrelationID
            nextCorrelationID += 1
            try await connections[connection].send(request, correlationID: id)
            return
        }
        let (response, _) = try await call(request, as: ProduceResponse.self)
        guard let response else { return }
        try checkEntries(response.partitions.map(\.errorCode), response.partitions.map(\.errorMessage), api: .produce)
        guard let result = response.partitions.first, result.errorCode == .none else { return }
        guard result.lastOffset >= result.baseOffset, result.baseOffset >= 0 else {
            throw Finding(description: "produce answered offsets \(result.baseOffset)...\(result.lastOffset)")
        }
        let place = AcknowledgedLog.Place(topic: request.topic, partition: result.partition)
        let offsets = sent.contents.indices.map { result.offset(ofRecordAt: $0) }
        if let retryOf, retryOf != offsets {
            throw Finding(
                description: "an idempotent retry to \(place) was answered \(offsets), its first copy \(retryOf)"
            )
        }
        var bytes = request.partitions[0].records
        if producer == nil, !record, let batch = try? RecordBatch.next(from: &bytes),
            let index = producers.firstIndex(where: { $0.id == batch.producerId && $0.epoch == batch.producerEpoch })
        {
            // A hostile sequence taken for a known producer: the broker now expects what follows it.
            producers[index].nextSequence[place] = batch.baseSequence &+ count
        }
        if let producer {
            producers[producer.index].nextSequence[producer.place] = producer.sequence &+ count
            var answered = sent
            answered.offsets = offsets
            producers[producer.index].sent.append(answered)
            if producers[producer.index].sent.count > 5 { producers[producer.index].sent.removeFirst() }
        }
        guard record else { return }
        for (index, content) in sent.contents.enumerated() {
            if let problem = log.acknowledge(place, offset: offsets[index], content) {
                throw Finding(description: problem)
            }
            if let id = sent.ids[index], let problem = log.acknowledge(place, messageID: id, offset: offsets[index]) {
                throw Finding(description: problem)
            }
        }
        touched.insert(place)
    }

    func fetch() async throws {
        let topic = pickTopic()
        let partitions = (0..<values.int(in: 1...3)).map { _ in
            FetchRequest.PartitionQuery(
                partition: pickPartition(of: topic),
                offset: values.int64(ordinary: 0...50),
                maxBytes: values.uint32(ordinary: 1...100_000)
            )
        }
        let wait: UInt32 = values.chance(0.1) ? values.pick([UInt32.max, 1 << 31]) : UInt32(values.int(in: 0...20))
        let request = FetchRequest(
            maxWaitMilliseconds: wait,
            minBytes: wait > 20 ? 0 : values.uint32(ordinary: 0...1),
            maxBytes: values.uint32(ordinary: 1...1_000_000),
            topics: [.init(topic: topic, partitions: partitions)]
        )
        note("fetch \(topic) \(partitions.map { "\($0.partition)@\($0.offset)/\($0.maxBytes)" }) wait \(wait)")
        let (response, _) = try await call(request, as: FetchResponse.self)
        guard let response else { return }
        for data in response.topics.flatMap(\.partitions) {
            try checkEntries([data.errorCode], [data.errorMessage], api: .fetch)
            guard data.errorCode == .none else { continue }
            let records: [Record]
            do { records = try decodeRecords(data.records) } catch {
                throw Finding(description: "fetch answered records that do not decode: \(error)")
            }
            if let last = records.last, last.offset >= data.logEndOffset {
                throw Finding(
                    description: "fetch answered offset \(last.offset) at or past the log end \(data.logEndOffset)"
                )
            }
        }
    }

    func listOffsets() async throws {
        let topic = pickTopic()
        let queries = (0..<values.int(in: 1...3)).map { _ in
            ListOffsetsRequest.Query(partition: pickPartition(of: topic), timestamp: values.int64(ordinary: -2...(-1)))
        }
        note("listOffsets \(topic) \(queries.map { "\($0.partition)@\($0.timestamp)" })")
        let (response, _) = try await call(
            ListOffsetsRequest(topic: topic, partitions: queries),
            as: ListOffsetsResponse.self
        )
        guard let response else { return }
        try checkEntries(
            response.partitions.map(\.errorCode),
            response.partitions.map(\.errorMessage),
            api: .listOffsets
        )
    }

    func createTopic() async throws {
        let topic = values.chance(0.7) ? values.pick(Self.topicNames) : "fz-" + values.name(lengths: [1, 246, 247])
        let partitions: Int32 =
            values.chance(0.8) ? Int32(values.int(in: 1...4)) : values.pick([0, -1, .min, .max, 1025, 4096])
        let retention = values.chance(0.7) ? TopicSettingValue.brokerDefault : values.int64(ordinary: -2...86_400_000)
        let retentionBytes = values.chance(0.7) ? TopicSettingValue.brokerDefault : values.int64(ordinary: -2...1 << 30)
        let segment = values.chance(0.7) ? TopicSettingValue.brokerDefault : values.int64(ordinary: 1 << 20...1 << 30)
        let request = CreateTopicRequest(
            topic: topic,
            partitionCount: partitions,
            retentionMilliseconds: retention,
            retentionBytes: retentionBytes,
            segmentBytes: segment
        )
        note(
            "createTopic \(topic.prefix(20))… partitions \(partitions) retention \(retention)/\(retentionBytes) segment \(segment)"
        )
        let (response, _) = try await call(request, as: CreateTopicResponse.self)
        guard let response else { return }
        try checkEntries([response.result.errorCode], [response.result.errorMessage], api: .createTopic)
        if response.result.errorCode == .none {
            log.forget(topic: topic)
            for group in finished.keys { finished[group] = finished[group]?.filter { $0.key.topic != topic } }
            if retention != TopicSettingValue.brokerDefault || retentionBytes != TopicSettingValue.brokerDefault {
                log.retentionMayDelete.insert(topic)
            }
        }
    }

    func deleteTopic() async throws {
        let topic = pickTopic()
        note("deleteTopic \(topic)")
        let (response, _) = try await call(DeleteTopicRequest(topic: topic), as: DeleteTopicResponse.self)
        guard let response else { return }
        try checkEntries([response.result.errorCode], [response.result.errorMessage], api: .deleteTopic)
        if response.result.errorCode == .none {
            log.forget(topic: topic)
            for group in finished.keys { finished[group] = finished[group]?.filter { $0.key.topic != topic } }
            kafkaCommitted = kafkaCommitted.filter { $0.key.topic != topic }
            for index in producers.indices {
                producers[index].nextSequence = producers[index].nextSequence.filter { $0.key.topic != topic }
                producers[index].sent.removeAll { $0.place.topic == topic }
            }
        }
    }

    func addPartitions() async throws {
        let topic = pickTopic()
        let current = topics[topic] ?? 1
        let count: Int32 =
            values.chance(0.7) ? current + Int32(values.int(in: -1...2)) : values.pick([0, -1, .min, .max, 1025])
        note("addPartitions \(topic) to \(count)")
        let (response, _) = try await call(
            AddPartitionsRequest(topic: topic, partitionCount: count),
            as: AddPartitionsResponse.self
        )
        guard let response else { return }
        try checkEntries([response.result.errorCode], [response.result.errorMessage], api: .addPartitions)
    }

    func initProducer() async throws {
        note("initProducer")
        let (response, _) = try await call(InitProducerRequest(), as: InitProducerResponse.self)
        guard let response, response.result.errorCode == .none else { return }
        producers.append(FuzzProducer(id: response.producerID, epoch: response.producerEpoch))
        if producers.count > 4 { producers.removeFirst() }
    }

    func status() async throws {
        note("brokerStatus")
        _ = try await call(BrokerStatusRequest(), as: BrokerStatusResponse.self)
    }
}
