import Foundation
import ProcessTesting
import Testing

/// `/metrics` of a real `brokerd`, scraped over HTTP.
@Suite("brokerd /metrics", .serialized)
struct BrokerdMetricsTests {
    @Test("every metric has help and base units; operators' metrics are there; a deleted topic's series go")
    func metrics() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        for (topic, partitions) in [("doomed", "2"), ("kept", "1")] {
            let created = try await runTool(
                "brokerctl",
                ["--broker", broker.address, "topics", "create", topic, "--partitions", partitions]
            )
            #expect(created.status == 0, "\(created.standardError)")
            let produced = try await runTool("producer", ["--broker", broker.address, "--topic", topic, "a", "b", "c"])
            #expect(produced.status == 0, "\(produced.standardError)")
        }
        // A consumer at the end of "kept" long-polls until one more message arrives.
        let consumer = ChildProcess()
        consumer.executableURL = try executable(named: "consumer")
        consumer.arguments = ["--broker", broker.address, "--topic", "kept", "--from", "latest", "--count", "1"]
        consumer.standardOutput = FileHandle.nullDevice
        consumer.standardError = FileHandle.nullDevice
        try consumer.run()
        try? await Task.sleep(for: .seconds(2))
        let late = try await runTool("producer", ["--broker", broker.address, "--topic", "kept", "late"])
        #expect(late.status == 0, "\(late.standardError)")
        let deadline = Date().addingTimeInterval(60)
        while consumer.isRunning && Date() < deadline { try? await Task.sleep(for: .seconds(0.05)) }
        #expect(!consumer.isRunning && consumer.terminationStatus == 0)
        consumer.signal(SIGKILL)

        let scrape = await Scrape(try broker.get("/metrics"))
        // Every family has help text; every histogram is in seconds.
        #expect(!scrape.types.isEmpty)
        for (name, type) in scrape.types {
            #expect(!(scrape.help[name] ?? "").isEmpty, "no # HELP for \(name)")
            if type == "histogram" { #expect(name.hasSuffix("_seconds"), "\(name) is not in base units") }
        }
        for name in [
            "sluice_request_duration_seconds", "sluice_fetch_wait_seconds", "sluice_log_flush_duration_seconds",
            "sluice_partition_size_bytes", "sluice_log_end_offset", "sluice_log_start_offset",
            "sluice_appended_records_total", "sluice_connections", "sluice_build_info",
            "process_resident_memory_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
            "process_cpu_seconds_total", "process_start_time_seconds",
        ] {
            #expect(scrape.types[name] != nil, "\(name) is missing")
        }
        #expect(scrape.value(#"sluice_build_info{version="0.1.0"}"#) == 1)
        #expect((scrape.value("process_resident_memory_bytes") ?? 0) > Double(1 << 20))
        #expect((scrape.value("process_open_fds") ?? 0) > 3)
        // glibc's heap: one mallinfo2 reading, so the allocator's heaps are exactly what is handed
        // out plus what it keeps free.
        let held = try #require(scrape.value("sluice_heap_held_bytes"))
        let allocated = try #require(scrape.value("sluice_heap_allocated_bytes"))
        let free = try #require(scrape.value("sluice_heap_free_bytes"))
        // A started broker has live objects (an idle one about 1 MB in a debug build).
        #expect(allocated > Double(64 << 10), "allocated \(allocated)")
        #expect(held == allocated + free, "held \(held), allocated \(allocated), free \(free)")
        #expect((scrape.value("process_max_fds") ?? 0) >= 1024)
        #expect((scrape.value("process_cpu_seconds_total") ?? 0) > 0)
        let start = scrape.value("process_start_time_seconds") ?? 0
        #expect(abs(start - Date().timeIntervalSince1970) < 3600, "start time \(start)")
        #expect((scrape.value("sluice_log_flush_duration_seconds_count") ?? 0) > 0)
        #expect((scrape.value(#"sluice_partition_size_bytes{topic="doomed",partition="0""#) ?? 0) > 0)
        // The long poll's waiting is in its own metric, not in the fetch's request duration.
        let waited = scrape.value("sluice_fetch_wait_seconds_sum") ?? 0
        let fetchTime = scrape.value(#"sluice_request_duration_seconds_sum{api="fetch""#) ?? .infinity
        #expect((scrape.value("sluice_fetch_wait_seconds_count") ?? 0) >= 1)
        #expect(waited > 0.5, "waited \(waited) s")
        #expect(fetchTime < waited, "fetch requests took \(fetchTime) s against \(waited) s of waiting")
        #expect(!scrape.series(containing: #"topic="doomed""#).isEmpty)
        // The size gauge follows appends exactly: it matches describe's SIZE column.
        let described = try await runTool("brokerctl", ["--broker", broker.address, "topics", "describe", "kept"])
        let row = described.lines.last?.split(separator: " ", omittingEmptySubsequences: true) ?? []
        #expect(row.count == 5 && row.first == "0", "\(described.standardOutput)")
        if row.count == 5 {
            #expect(scrape.value(#"sluice_partition_size_bytes{topic="kept""#) == Double(row[3]))
            #expect(scrape.value(#"sluice_log_end_offset{topic="kept""#) == Double(row[2]))
        }

        let deleted = try await runTool("brokerctl", ["--broker", broker.address, "topics", "delete", "doomed"])
        #expect(deleted.status == 0, "\(deleted.standardError)")
        let after = await Scrape(try broker.get("/metrics"))
        #expect(after.series(containing: #"topic="doomed""#).isEmpty, "\(after.series(containing: "doomed"))")
        #expect(!after.series(containing: #"topic="kept""#).isEmpty)
        #expect(try await broker.get("/healthz") == "ok\n")
        await #expect(try broker.stop() == 0)
    }

    @Test("connections to the metrics port are bounded: idle clients cannot take the broker's descriptors")
    func metricsConnectionsBounded() async throws {
        let directory = try TemporaryDirectory()
        let broker = try await BrokerdProcess(dataDirectory: directory.path + "/data")
        let port = try #require(Int(broker.metricsAddress.split(separator: ":").last ?? ""))
        let limit = 16
        var connections: [IdleConnection] = []
        for _ in 0...limit { connections.append(try IdleConnection(port: port)) }
        // One more than the limit: one of them (whichever the broker counted last) is closed at once.
        let deadline = Date().addingTimeInterval(20)
        var closed = 0
        while closed == 0 && Date() < deadline {
            closed = connections.filter { $0.isClosedByPeer(within: 0.05) }.count
        }
        #expect(closed == 1, "\(closed) of \(limit + 1) connections to the metrics port were closed")
        connections.removeAll()
        // Once they are gone, /metrics answers again (bounded retries while the closes arrive).
        var answered = false
        for _ in 0..<100 where !answered {
            answered = await (try? broker.get("/healthz")) == "ok\n"
            if !answered { try? await Task.sleep(for: .seconds(0.05)) }
        }
        #expect(answered)
        await #expect(try broker.stop() == 0)
    }
}
