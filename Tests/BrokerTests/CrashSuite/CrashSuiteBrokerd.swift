import BrokerProtocol
import Foundation
import NIOCore
import RecordCodec

#if canImport(Glibc)
import Glibc
#endif

/// The real `brokerd` of the crash suite: the native and the Kafka listener on ephemeral 127.0.0.1
/// ports, its data in one directory that every round reuses, Kafka groups without the initial
/// rebalance delay (a round lasts about a second).
final class CrashSuiteBrokerd {
    let child: ToolChildProcess
    let port: Int
    let kafkaPort: Int

    init(dataDirectory: String) async throws {
        child = try await ToolChildProcess(
            "brokerd",
            [
                "--listen", "127.0.0.1:0", "--kafka-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                "--data-dir", dataDirectory, "--kafka-initial-rebalance-delay-ms", "0",
            ],
            keepsOutput: false
        )
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let log = child.standardError
            if let native = Self.port(in: log, after: "broker listening"),
                let kafka = Self.port(in: log, after: "Kafka listener accepting")
            {
                port = native
                kafkaPort = kafka
                return
            }
            guard child.process.isRunning else { throw TestFailure("brokerd exited: \(log)") }
            try? await Task.sleep(for: .milliseconds(20))
        }
        child.kill()
        throw TestFailure("brokerd did not start listening within 60 s: \(child.standardError)")
    }

    /// The port of the first `127.0.0.1:PORT` on a line of `log` that holds `marker`.
    private static func port(in log: String, after marker: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains(marker) {
            if let range = line.range(of: #"127\.0\.0\.1:\d+"#, options: .regularExpression) {
                return Int(line[range].split(separator: ":")[1])
            }
        }
        return nil
    }
}

/// One record as the crash suite checks it.
struct LoggedRecord {
    var partition: Int32
    var offset: Int64
    var timestamp: Int64
    var value: String
    var headers: [String: String]
}

/// Every record of `topic`'s `partition` from `offset` to the log end, read with `fetch` on
/// `connection`. An unknown topic reads as empty (a dead-letter topic is created by its first dead
/// letter).
func readPartition(
    _ topic: String,
    partition: Int32,
    from offset: Int64,
    on connection: TestConnection
) async throws -> [LoggedRecord] {
    var next = offset
    var records: [LoggedRecord] = []
    while true {
        let response = try await connection.call(
            FetchRequest(
                maxWaitMilliseconds: 0,
                minBytes: 0,
                maxBytes: 4 << 20,
                topics: [
                    .init(topic: topic, partitions: [.init(partition: partition, offset: next, maxBytes: 4 << 20)])
                ]
            ),
            as: FetchResponse.self
        )
        guard let data = response.topics.first?.partitions.first else { throw TestFailure("no fetch answer") }
        if data.errorCode == .unknownTopic || data.errorCode == .unknownPartition { return records }
        guard data.errorCode == .none else {
            throw TestFailure("fetch \(topic)/\(partition)@\(next): \(data.errorCode) \(data.errorMessage ?? "")")
        }
        if let lost = data.lostOffsets {
            throw TestFailure("fetch \(topic)/\(partition)@\(next): offsets \(lost) reported lost")
        }
        var bytes = data.records
        var progressed = false
        while let batch = try RecordBatch.next(from: &bytes) {
            for record in try batch.records() where record.offset >= next {
                var headers: [String: String] = [:]
                for header in record.headers { headers[header.key] = header.value.map { String(buffer: $0) } ?? "" }
                records.append(
                    LoggedRecord(
                        partition: partition,
                        offset: record.offset,
                        timestamp: record.timestamp,
                        value: record.value.map { String(buffer: $0) } ?? "",
                        headers: headers
                    )
                )
                next = record.offset + 1
                progressed = true
            }
        }
        if next >= data.logEndOffset { return records }
        guard progressed else { throw TestFailure("fetch \(topic)/\(partition)@\(next) returned nothing") }
    }
}
