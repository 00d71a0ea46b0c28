import ArgumentParser
import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import NIOConcurrencyHelpers
import NIOCore
import RecordCodec
import ToolSupport

/// Options shared by `broker-bench produce` and `broker-bench consume`.
struct NetworkBenchmarkOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The topic; created if missing.")
    var topic: String

    @Option(help: "Partitions of the topic when it is created.")
    var partitions: Int32 = 1

    @Option(help: "Bytes per message value.")
    var messageSize: Int = 100

    @Option(help: "Bytes per message key (0: no key).")
    var keySize: Int = 16

    @Option(help: "Messages to send or read.")
    var count: Int = 1_000_000

    @Option(help: "Bytes of record data per batch.")
    var batchBytes: Int = 128 << 10

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func address() throws -> BrokerAddress {
        try connection.address()
    }

    /// Creates the topic unless it exists.
    func ensureTopic(on connection: BrokerConnection) async throws {
        let response = try await connection.send(
            CreateTopicRequest(topic: topic, partitionCount: partitions),
            as: CreateTopicResponse.self
        )
        guard response.result.errorCode == .none || response.result.errorCode == .topicAlreadyExists else {
            throw ValidationError(
                "cannot create topic \(topic): \(response.result.errorMessage ?? "\(response.result.errorCode)")"
            )
        }
    }

    var recordsPerBatch: Int { max(1, batchBytes / max(1, messageSize + keySize + 8)) }

    /// One batch of `count` records with distinct keys and values.
    func makeBatch(count: Int, sequence: Int) -> RecordBatch {
        let timestamp = currentTimeMilliseconds()
        var records: [Record] = []
        records.reserveCapacity(count)
        for index in 0..<count {
            var key: ByteBuffer?
            if keySize > 0 {
                var bytes = ByteBuffer(repeating: UInt8(ascii: "k"), count: keySize)
                bytes.setInteger(UInt64(truncatingIfNeeded: sequence &* 1_000_003 &+ index), at: 0)
                key = bytes
            }
            var value = ByteBuffer(repeating: UInt8(ascii: "v"), count: messageSize)
            if messageSize >= 8 { value.setInteger(UInt64(truncatingIfNeeded: index), at: 0) }
            records.append(Record(key: key, value: value, timestamp: timestamp))
        }
        return RecordBatch(records: records)
    }
}

/// `broker-bench produce`: pipelined produce requests from one or more connections.
struct ProduceBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Measure produce throughput and acknowledgement latency against a running broker.",
        discussion: """
            Each producer connection keeps --in-flight produce requests outstanding, each one \
            batch of about --batch-bytes (keys and values of the given sizes), sent to the \
            partitions in turn. By default 8 batches are encoded up front and sent again and \
            again, so that the figure measures the broker and the network; --encode-each-batch \
            encodes every batch afresh, as a client would. Latency is from sending a batch to its \
            acknowledgement.
            """
    )

    @OptionGroup var options: NetworkBenchmarkOptions

    @Option(help: "Acknowledgement level: none, written or durable.")
    var acks: String = "durable"

    @Option(help: "Producer connections.")
    var producers: Int = 1

    @Option(help: "Produce requests in flight per connection.")
    var inFlight: Int = 16

    @Flag(help: "Encode every batch afresh (as a client would) instead of reusing 8 pre-encoded batches.")
    var encodeEachBatch = false

    func run() async throws {
        guard let level = ["none": Acks.none, "written": .written, "durable": .durable][acks] else {
            throw ValidationError("--acks must be none, written or durable")
        }
        let address = try options.address()
        let admin = BrokerConnection(address: address)
        try await options.ensureTopic(on: admin)
        await admin.close()
        let result = try await runProducers(address: address, acks: level)
        print(options.json ? result.json : result.text)
    }

    func runProducers(address: BrokerAddress, acks: Acks) async throws -> NetworkResult {
        let perBatch = options.recordsPerBatch
        let batches = (options.count + perBatch - 1) / perBatch
        // Encode a few distinct batches up front per producer and reuse them, so that the figure
        // measures the broker and the network rather than the benchmark's own encoder.
        let template = (0..<8).map { options.makeBatch(count: perBatch, sequence: $0) }
        let latencies = NIOLockedValueBox<[Double]>([])
        let sent = NIOLockedValueBox(0)
        let clock = ContinuousClock()
        let start = clock.now
        let progress = ProgressPrinter(total: options.count, enabled: !options.json)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                group.addTask {
                    let connection = BrokerConnection(address: address)
                    defer { Task { await connection.close() } }
                    try await connection.connect()
                    try await withThrowingTaskGroup(of: Void.self) { window in
                        var inFlight = 0
                        for number in stride(from: producer, to: batches, by: producers) {
                            if inFlight >= self.inFlight {
                                try await window.next()
                                inFlight -= 1
                            }
                            let batch =
                                self.encodeEachBatch
                                ? self.options.makeBatch(count: perBatch, sequence: number)
                                : template[number % template.count]
                            let partition = Int32(number % Int(self.options.partitions))
                            let request = ProduceRequest(
                                acks: acks,
                                topic: self.options.topic,
                                partitions: [.init(partition: partition, records: batch.buffer)]
                            )
                            inFlight += 1
                            window.addTask {
                                let sentAt = clock.now
                                if acks == .none {
                                    try await connection.sendWithoutResponse(request)
                                } else {
                                    let response = try await connection.send(request, as: ProduceResponse.self)
                                    if let failure = response.partitions.first(where: { $0.errorCode != .none }) {
                                        throw ValidationError(
                                            "produce failed: \(failure.errorMessage ?? "\(failure.errorCode)")"
                                        )
                                    }
                                }
                                let latency = (clock.now - sentAt).milliseconds
                                latencies.withLockedValue { $0.append(latency) }
                                progress.add(
                                    sent.withLockedValue {
                                        $0 += batch.recordCount.asInt; return $0
                                    }
                                )
                            }
                        }
                        try await window.waitForAll()
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (clock.now - start).seconds
        let records = sent.withLockedValue { $0 }
        let bytesPerRecord = options.messageSize + options.keySize
        return NetworkResult(
            name: "produce acks=\(acks) value=\(options.messageSize)B key=\(options.keySize)B "
                + (encodeEachBatch ? "encode-each-batch " : "pre-encoded ")
                + "batch=\(perBatch) partitions=\(options.partitions) producers=\(producers) in-flight=\(inFlight)",
            messages: records,
            bytes: records * bytesPerRecord,
            seconds: seconds,
            latenciesMilliseconds: acks == .none ? [] : latencies.withLockedValue { $0 },
            latencyNote: "per batch, send to acknowledgement"
        )
    }
}

/// `broker-bench consume`: fetches `--count` messages from the start of the topic.
struct ConsumeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Measure fetch throughput: read --count messages from the start of the topic.",
        discussion: """
            If the topic holds fewer than --count messages, first produces the missing ones (acks \
            written, not timed) and says so on standard error. Then reads every partition from its \
            earliest offset with fetches of up to 4 MiB (1 MiB per partition) and decodes every \
            record; the time and throughput cover the reading only.
            """
    )

    @OptionGroup var options: NetworkBenchmarkOptions

    func run() async throws {
        let address = try options.address()
        let connection = BrokerConnection(address: address)
        defer { Task { await connection.close() } }
        try await options.ensureTopic(on: connection)
        let description = try await connection.send(
            DescribeTopicRequest(topic: options.topic),
            as: DescribeTopicResponse.self
        )
        let existing = description.partitions.reduce(0) { $0 + Int($1.logEndOffset - $1.logStartOffset) }
        if existing < options.count {
            let line =
                "broker-bench: topic \(options.topic) holds \(existing) of the \(options.count) messages to read: "
                + "producing \(options.count - existing) first (acks written, not timed)\n"
            FileHandle.standardError.write(Data(line.utf8))
            var produce = try ProduceBenchmark.parse([
                "--topic", options.topic, "--acks", "written",
            ])
            produce.options = options
            produce.options.count = options.count - existing
            produce.options.json = true
            _ = try await produce.runProducers(address: address, acks: .written)
        }
        let partitions = try await connection.send(
            DescribeTopicRequest(topic: options.topic),
            as: DescribeTopicResponse.self
        )
        .partitions
        var offsets = Dictionary(uniqueKeysWithValues: partitions.map { ($0.partition, $0.logStartOffset) })
        let clock = ContinuousClock()
        let start = clock.now
        var messages = 0
        var bytes = 0
        let progress = ProgressPrinter(total: options.count, enabled: !options.json)
        while messages < options.count {
            let request = FetchRequest(
                maxWaitMilliseconds: 500,
                maxBytes: 4 << 20,
                topics: [
                    .init(
                        topic: options.topic,
                        partitions: partitions.map {
                            .init(partition: $0.partition, offset: offsets[$0.partition]!, maxBytes: 1 << 20)
                        }
                    )
                ]
            )
            let response = try await connection.send(request, as: FetchResponse.self)
            for data in response.topics.flatMap(\.partitions) {
                guard data.errorCode == .none else {
                    throw ValidationError("fetch failed: \(data.errorMessage ?? "\(data.errorCode)")")
                }
                var remaining = data.records
                while let batch = try RecordBatch.next(from: &remaining) {
                    for record in try batch.records() where record.offset >= offsets[data.partition]! {
                        messages += 1
                        bytes += (record.key?.readableBytes ?? 0) + (record.value?.readableBytes ?? 0)
                    }
                    offsets[data.partition] = batch.lastOffset + 1
                }
            }
            progress.add(messages)
        }
        let seconds = (clock.now - start).seconds
        let result = NetworkResult(
            name: "consume partitions=\(partitions.count) fetch=1MiB/partition",
            messages: messages,
            bytes: bytes,
            seconds: seconds,
            latenciesMilliseconds: [],
            latencyNote: ""
        )
        print(options.json ? result.json : result.text)
    }
}

struct NetworkResult {
    var name: String
    var messages: Int
    var bytes: Int
    var seconds: Double
    var latenciesMilliseconds: [Double]
    var latencyNote: String

    var messagesPerSecond: Double { Double(messages) / seconds }
    var megabytesPerSecond: Double { Double(bytes) / seconds / 1_000_000 }

    func percentile(_ fraction: Double, of sorted: [Double]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
    }

    var latencySummary: (p50: Double, p99: Double, p999: Double, max: Double)? {
        guard !latenciesMilliseconds.isEmpty else { return nil }
        let sorted = latenciesMilliseconds.sorted()
        return (percentile(0.5, of: sorted), percentile(0.99, of: sorted), percentile(0.999, of: sorted), sorted.last!)
    }

    var text: String {
        var line =
            "\(name): \(formatted(messagesPerSecond, 0)) msg/s, \(formatted(megabytesPerSecond, 1)) MB/s "
            + "(\(messages) messages in \(formatted(seconds, 3)) s)"
        if let latency = latencySummary {
            line +=
                "; latency \(latencyNote) ms: p50 \(formatted(latency.p50, 3)) p99 \(formatted(latency.p99, 3)) "
                + "p999 \(formatted(latency.p999, 3)) max \(formatted(latency.max, 3))"
        }
        return line
    }

    var json: String {
        var text =
            "{\"name\":\"\(name)\",\"messages\":\(messages),\"seconds\":\(formatted(seconds, 4)),"
            + "\"messages_per_second\":\(formatted(messagesPerSecond, 0)),\"megabytes_per_second\":\(formatted(megabytesPerSecond, 2))"
        if let latency = latencySummary {
            text +=
                ",\"latency_ms\":{\"p50\":\(formatted(latency.p50, 3)),\"p99\":\(formatted(latency.p99, 3)),"
                + "\"p999\":\(formatted(latency.p999, 3)),\"max\":\(formatted(latency.max, 3))}"
        }
        return text + "}"
    }
}

/// Prints `N/total messages` about once a second on standard error while a benchmark runs.
final class ProgressPrinter: Sendable {
    private let total: Int
    private let enabled: Bool
    private let lastPrinted = NIOLockedValueBox<ContinuousClock.Instant>(ContinuousClock.now)

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func add(_ done: Int) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let due = lastPrinted.withLockedValue { last -> Bool in
            guard now - last >= .seconds(1) else { return false }
            last = now
            return true
        }
        if due { FileHandle.standardError.write(Data("… \(done)/\(total) messages\n".utf8)) }
    }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}

extension Int32 {
    var asInt: Int { Int(self) }
}
