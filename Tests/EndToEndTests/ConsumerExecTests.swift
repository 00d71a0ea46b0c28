import Foundation
import Testing

/// `consumer --group G --exec CMD` with handler scripts: exit 0 acknowledges, 100 dead-letters,
/// another status or a signal fails the delivery (delivered again), `--concurrency` runs handlers
/// side by side, a running handler's delivery is extended, and SIGTERM lets it finish.
@Suite("consumer --exec", .serialized)
struct ConsumerExecTests {
    /// Appends `TOPIC PARTITION OFFSET KEY COUNT GROUP TIMESTAMP VALUE` to $LOG (`<unset>` for no key).
    static let recordingHandler = """
        value=$(cat)
        printf '%s %s %s %s %s %s %s %s\\n' "$SLUICE_TOPIC" "$SLUICE_PARTITION" "$SLUICE_OFFSET" \
            "${SLUICE_KEY-<unset>}" "$SLUICE_DELIVERY_COUNT" "$SLUICE_GROUP" "$SLUICE_TIMESTAMP" "$value" >> "$LOG"

        """

    /// The runs of `value` in the log: their delivery counts, in order.
    static func deliveryCounts(of value: String, in lines: [String]) -> [String] {
        lines.map { $0.split(separator: " ").map(String.init) }.filter { $0.last == value }.map { $0[4] }
    }

    @Test("exit 0: each message handled once and acknowledged; value on stdin; SLUICE_* set; output passed through")
    func exitZeroAcknowledges() async throws {
        let fixture = try await ExecFixture()
        let keyed = (0..<6).map { (key: "key-\($0)", value: "job-\($0)") }
        try await fixture.produce(keyed, keyless: ["job-nokey"])
        let handler = try fixture.script(
            "handler.sh",
            Self.recordingHandler + "echo \"handled $value\"\necho \"note $value\" >&2\n"
        )
        let run = try await fixture.consume(exec: "sh \(handler)")
        #expect(run.status == 0, "\(run.standardError)")
        let lines = fixture.logLines()
        #expect(lines.count == 7, "\(lines)")
        var seen: Set<String> = []
        for fields in lines.map({ $0.split(separator: " ").map(String.init) }) where fields.count == 8 {
            let value = fields[7]
            seen.insert(value)
            #expect(fields[0] == "jobs")
            #expect("\(fields[1])@\(fields[2])" == fixture.placeOfValue[value], "\(fields)")
            let expectedKey = keyed.first { $0.value == value }?.key ?? "<unset>"
            #expect(fields[3] == expectedKey, "\(fields)")
            #expect(fields[4] == "1", "\(fields)")
            #expect(fields[5] == "workers")
            #expect((Int64(fields[6]) ?? 0) > 1_600_000_000_000, "timestamp in epoch ms: \(fields)")
        }
        #expect(seen == Set(keyed.map(\.value) + ["job-nokey"]), "each message once")
        // The handlers' standard output and error are the consumer's.
        #expect(Set(run.lines) == Set(seen.map { "handled \($0)" }), "\(run.standardOutput)")
        #expect(run.standardError.contains("note job-3"), "\(run.standardError)")
        #expect(try await fixture.isCaughtUp())
        // Again: everything is acknowledged already, so it exits at once without running anything.
        let again = try await fixture.consume(exec: "sh \(handler)")
        #expect(again.status == 0, "\(again.standardError)")
        #expect(fixture.logLines().count == 7)
        // --count 2: two more handled, the third left for later.
        try await fixture.produce([("key-7", "job-7"), ("key-8", "job-8"), ("key-9", "job-9")])
        let counted = try await fixture.consume(exec: "sh \(handler)", ["--count", "2"])
        #expect(counted.status == 0, "\(counted.standardError)")
        #expect(fixture.logLines().count == 9, "\(fixture.logLines())")
        let partitions = try await fixture.describe()["partitions"] as? [[String: Any]] ?? []
        #expect(partitions.compactMap { $0["lag"] as? Int }.reduce(0, +) == 1, "\(partitions)")
    }

    @Test("exit 100: the message is dead-lettered at once (delivery count 1, reason exec: exit 100)")
    func exitHundredRejects() async throws {
        let fixture = try await ExecFixture()
        try await fixture.produce([("ok-1", "first"), ("bad", "poison"), ("ok-2", "second")])
        let handler = try fixture.script(
            "handler.sh",
            Self.recordingHandler + "[ \"$SLUICE_KEY\" = bad ] && exit 100\nexit 0\n"
        )
        let run = try await fixture.consume(exec: "sh \(handler)")
        #expect(run.status == 0, "\(run.standardError)")
        let lines = fixture.logLines()
        #expect(Self.deliveryCounts(of: "poison", in: lines) == ["1"], "\(lines)")
        #expect(Self.deliveryCounts(of: "first", in: lines) == ["1"], "\(lines)")
        #expect(run.standardError.contains("exec: exit 100"), "\(run.standardError)")
        let letters = try await fixture.deadLetters()
        #expect(letters.count == 1, "\(letters)")
        #expect(letters.first?["value"] as? String == "poison")
        #expect(letters.first.flatMap { header("sluice.dlq.reason", of: $0) } == "exec: exit 100")
        #expect(letters.first.flatMap { header("sluice.dlq.delivery-count", of: $0) } == "1")
        #expect(try await fixture.isCaughtUp())
    }

    @Test("exit 3 the first time: delivered again after the backoff, SLUICE_DELIVERY_COUNT 2, then acknowledged")
    func otherExitStatusFailsTheDelivery() async throws {
        let fixture = try await ExecFixture()
        try await fixture.produce([("steady", "calm"), ("flaky", "wobbly")])
        let handler = try fixture.script(
            "handler.sh",
            Self.recordingHandler + """
                if [ "$SLUICE_KEY" = flaky ] && [ ! -e "$DIR/failed-once" ]; then
                    touch "$DIR/failed-once"
                    exit 3
                fi
                exit 0

                """
        )
        let run = try await fixture.consume(exec: "sh \(handler)")
        #expect(run.status == 0, "\(run.standardError)")
        let lines = fixture.logLines()
        #expect(Self.deliveryCounts(of: "wobbly", in: lines) == ["1", "2"], "\(lines)")
        #expect(Self.deliveryCounts(of: "calm", in: lines) == ["1"], "\(lines)")
        #expect(run.standardError.contains("exec: exit 3 (delivery 1 of 5; delivered again"), "\(run.standardError)")
        #expect(try await fixture.isCaughtUp())
    }

    @Test("a handler killed by a signal: a failed delivery, delivered again")
    func killedHandlerFailsTheDelivery() async throws {
        let fixture = try await ExecFixture()
        try await fixture.produce([("crash", "boom"), ("calm", "quiet")])
        let handler = try fixture.script(
            "handler.sh",
            Self.recordingHandler + """
                if [ "$SLUICE_KEY" = crash ] && [ ! -e "$DIR/crashed" ]; then
                    touch "$DIR/crashed"
                    kill -9 $$
                fi
                exit 0

                """
        )
        // Sourced, so that $$ is the shell the consumer started.
        let run = try await fixture.consume(exec: ". \(handler)")
        #expect(run.status == 0, "\(run.standardError)")
        let lines = fixture.logLines()
        #expect(Self.deliveryCounts(of: "boom", in: lines) == ["1", "2"], "\(lines)")
        #expect(Self.deliveryCounts(of: "quiet", in: lines) == ["1"], "\(lines)")
        #expect(run.standardError.contains("exec: killed by signal 9 (SIGKILL)"), "\(run.standardError)")
        #expect(try await fixture.isCaughtUp())
    }

    @Test("--concurrency 4: handlers run side by side (a barrier for two), never more than four")
    func concurrencyRunsHandlersSideBySide() async throws {
        let fixture = try await ExecFixture()
        try await fixture.produce((0..<8).map { (key: "key-\($0)", value: "job-\($0)") })
        // Each waits (at most 10 s) until two handlers have started: with one at a time, the
        // first would wait alone. Each also counts the handlers running as it starts.
        let handler = try fixture.script(
            "handler.sh",
            """
            id="$SLUICE_PARTITION-$SLUICE_OFFSET"
            touch "$DIR/started.$id" "$DIR/running.$id"
            echo "running $(ls "$DIR" | grep -c '^running\\.')" >> "$LOG"
            waited=0
            while [ "$(ls "$DIR" | grep -c '^started\\.')" -lt 2 ]; do
                waited=$((waited + 1))
                if [ "$waited" -ge 200 ]; then echo "alone $id" >> "$LOG"; break; fi
                sleep 0.05
            done
            rm "$DIR/running.$id"
            cat > /dev/null

            """
        )
        let run = try await fixture.consume(exec: "sh \(handler)", ["--concurrency", "4"])
        #expect(run.status == 0, "\(run.standardError)")
        let lines = fixture.logLines()
        #expect(lines.filter { $0.hasPrefix("alone") }.isEmpty, "a handler waited alone: \(lines)")
        let running = lines.filter { $0.hasPrefix("running ") }.compactMap { Int($0.dropFirst("running ".count)) }
        #expect(running.count == 8, "\(lines)")
        #expect(running.allSatisfy { (1...4).contains($0) }, "\(running)")
        #expect(try await fixture.isCaughtUp())
    }

    @Test("--concurrency 4 with ordering key: messages of one key still run one at a time, in order")
    func sameKeyStaysSerial() async throws {
        let fixture = try await ExecFixture()
        try await fixture.produce((0..<5).map { (key: "same", value: "step-\($0)") })
        let handler = try fixture.script(
            "handler.sh",
            """
            touch "$DIR/running.$SLUICE_OFFSET"
            echo "$SLUICE_OFFSET $(ls "$DIR" | grep -c '^running\\.')" >> "$LOG"
            sleep 0.2
            rm "$DIR/running.$SLUICE_OFFSET"

            """
        )
        let run = try await fixture.consume(exec: "sh \(handler)", ["--concurrency", "4"])
        #expect(run.status == 0, "\(run.standardError)")
        let lines = fixture.logLines().map { $0.split(separator: " ").compactMap { Int($0) } }
        #expect(lines.count == 5, "\(lines)")
        #expect(lines.allSatisfy { $0.count == 2 && $0[1] == 1 }, "one running at a time: \(lines)")
        let offsets = lines.compactMap(\.first)
        #expect(offsets == offsets.sorted(), "in offset order: \(offsets)")
    }

    @Test("a command that cannot run (not executable, not found): failed deliveries, a clear line, then dead letters")
    func commandThatCannotRun() async throws {
        let fixture = try await ExecFixture()
        try await fixture.produce([("a", "one"), ("b", "two")])
        let notExecutable = try fixture.script("handler.sh", "exit 0\n")  // mode 0644
        let run = try await fixture.consume(exec: notExecutable, ["--max-deliveries", "2"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(
            run.standardError.contains("exec: exit 126 (command not executable) (delivery 1 of 2; delivered again"),
            "\(run.standardError)"
        )
        #expect(run.standardError.contains("Permission denied"), "the shell says why: \(run.standardError)")
        let letters = try await fixture.deadLetters()
        #expect(Set(letters.compactMap { $0["value"] as? String }) == ["one", "two"], "\(letters)")
        #expect(letters.allSatisfy { header("sluice.dlq.reason", of: $0) == "exec: exit 126 (command not executable)" })
        #expect(letters.allSatisfy { header("sluice.dlq.delivery-count", of: $0) == "2" })

        let missing = try await fixture.consume(
            group: "others",
            exec: fixture.directory.path + "/no-such-handler",
            ["--max-deliveries", "1"]
        )
        #expect(missing.status == 0, "\(missing.standardError)")
        #expect(missing.standardError.contains("exec: exit 127 (command not found)"), "\(missing.standardError)")
        #expect(try await fixture.deadLetters("others").count == 2)
    }

    @Test("a handler running past the ack timeout is extended, not delivered again")
    func longHandlerIsExtended() async throws {
        let fixture = try await ExecFixture(partitions: 1)
        try await fixture.produce([("slow", "long-job")])
        let handler = try fixture.script("handler.sh", Self.recordingHandler + "sleep 3\n")
        // Without the extensions, the delivery would time out and the member would wait on: bounded.
        let run = try await fixture.consume(exec: "sh \(handler)", ["--ack-timeout", "1s"], timeoutSeconds: 60)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(Self.deliveryCounts(of: "long-job", in: fixture.logLines()) == ["1"], "\(fixture.logLines())")
        #expect(!run.standardError.contains("could not"), "\(run.standardError)")
        #expect(try await fixture.isCaughtUp())
    }

    @Test("SIGTERM: the running handler finishes and is acknowledged, then the consumer leaves (exit 143)")
    func interruptLetsTheRunningHandlerFinish() async throws {
        let fixture = try await ExecFixture(partitions: 1)
        try await fixture.produce([("only", "the-job")])
        let handler = try fixture.script(
            "handler.sh",
            """
            echo started >> "$LOG"
            waited=0
            while [ ! -e "$DIR/release" ] && [ "$waited" -lt 600 ]; do waited=$((waited + 1)); sleep 0.05; done
            echo finished >> "$LOG"

            """
        )
        let consumer = try fixture.startConsumer(exec: "sh \(handler)")
        await #expect(consumer.wait(upTo: 60) { fixture.logLines().contains("started") }, "\(consumer.standardError)")
        consumer.process.signal(SIGTERM)
        _ = FileManager.default.createFile(atPath: fixture.directory.path + "/release", contents: nil)
        let status = await consumer.waitForExit(upTo: 60)
        #expect(status == 143, "\(consumer.standardError)")
        #expect(
            consumer.standardError.contains("interrupted by SIGTERM after 1 message settled"),
            "\(consumer.standardError)"
        )
        #expect(fixture.logLines() == ["started", "finished"])
        #expect(try await fixture.isCaughtUp())
    }

    @Test("a second SIGTERM kills the running handler (not settled) and leaves: the message is handled again later")
    func secondInterruptKillsTheRunningHandler() async throws {
        let fixture = try await ExecFixture(partitions: 1)
        try await fixture.produce([("only", "the-job")])
        let handler = try fixture.script(
            "handler.sh",
            """
            echo "started $$ $SLUICE_DELIVERY_COUNT" >> "$LOG"
            [ -e "$DIR/quick" ] && exit 0
            waited=0
            while [ "$waited" -lt 1200 ]; do waited=$((waited + 1)); sleep 0.05; done
            echo finished >> "$LOG"

            """
        )
        let consumer = try fixture.startConsumer(exec: ". \(handler)")
        await #expect(consumer.wait(upTo: 60) { !fixture.logLines().isEmpty }, "\(consumer.standardError)")
        consumer.process.signal(SIGTERM)
        await #expect(consumer.wait(upTo: 60) { consumer.standardError.contains("starting no more handlers") })
        consumer.process.signal(SIGTERM)
        let status = await consumer.waitForExit(upTo: 30)
        #expect(status == 143, "\(consumer.standardError)")
        #expect(consumer.standardError.contains("killing the running handlers"), "\(consumer.standardError)")
        #expect(consumer.standardError.contains("interrupted by SIGTERM after 0 messages settled"))
        let started = fixture.logLines().first?.split(separator: " ").map(String.init) ?? []
        #expect(started.count == 3 && started[2] == "1", "\(fixture.logLines())")
        if let pid = started.count == 3 ? Int32(started[1]) : nil {
            #expect(kill(pid, 0) != 0, "the handler (pid \(pid)) was killed")
        }
        #expect(!fixture.logLines().contains("finished"))
        #expect(try await !fixture.isCaughtUp(), "not acknowledged")
        // Not lost: the next member handles it.
        _ = FileManager.default.createFile(atPath: fixture.directory.path + "/quick", contents: nil)
        let again = try await fixture.consume(exec: ". \(handler)", timeoutSeconds: 60)
        #expect(again.status == 0, "\(again.standardError)")
        #expect(fixture.logLines().count == 2, "\(fixture.logLines())")
        #expect(try await fixture.isCaughtUp())
    }

    @Test("the broker goes away: the running handler gets SIGTERM, then SIGKILL, and the consumer exits with the error")
    func lostConnectionStopsTheHandlers() async throws {
        let fixture = try await ExecFixture(partitions: 1)
        try await fixture.produce([("only", "the-job")])
        let handler = try fixture.script(
            "handler.sh",
            """
            trap 'echo terminated >> "$LOG"' TERM
            echo started >> "$LOG"
            waited=0
            while [ "$waited" -lt 1200 ]; do waited=$((waited + 1)); sleep 0.05; done
            echo finished >> "$LOG"

            """
        )
        let consumer = try fixture.startConsumer(exec: "sh \(handler)")
        await #expect(consumer.wait(upTo: 60) { fixture.logLines().contains("started") }, "\(consumer.standardError)")
        fixture.broker.kill()
        // The handler ignores the SIGTERM (it only notes it): SIGKILL follows 10 s later.
        let status = await consumer.waitForExit(upTo: 40)
        #expect(status != nil && status != 0, "\(consumer.standardError)")
        await #expect(consumer.wait(upTo: 10) { fixture.logLines().contains("terminated") }, "\(fixture.logLines())")
        #expect(!fixture.logLines().contains("finished"))
    }
}
