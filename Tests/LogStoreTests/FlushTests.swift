import Dispatch
import Synchronization
import Testing

@testable import LogStore

/// Durability: `whenDurable`, `waitUntilDurable` and `durableEndOffset` under each flush policy,
/// and the flush thread's shutdown. Nothing here measures time; waits poll with a generous bound
/// (and each test has a time limit), so a slow machine cannot fail them, only a hang can.
@Suite("Flush")
struct FlushTests {
    static let policies: [FlushPolicy] = [.durable, .interval(milliseconds: 20), .os]

    static func configuration(_ policy: FlushPolicy) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.flushPolicy = policy
        configuration.segmentMilliseconds = nil
        return configuration
    }

    /// Flush results, filled in on the flush thread.
    final class Completions: Sendable {
        private let results = Mutex<[(offset: Int64, result: Result<Int64, LogStoreError>)]>([])

        func completion(for offset: Int64) -> FlushScheduler.Completion {
            { result in self.results.withLock { $0.append((offset, result)) } }
        }

        var all: [(offset: Int64, result: Result<Int64, LogStoreError>)] { results.withLock { $0 } }
        var count: Int { results.withLock { $0.count } }
    }

    /// Turns a hang into a crash with a message: if ``finish()`` has not been called after
    /// `seconds`, the test process stops. A `waitUntilDurable` that never returns cannot be
    /// cancelled, so this is the bound on it.
    final class Watchdog: Sendable {
        private let isFinished = Atomic<Bool>(false)

        init(seconds: Int, _ what: String) {
            DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds)) { [self] in
                if !isFinished.load(ordering: .acquiring) {
                    fatalError("\(what) did not finish within \(seconds) seconds")
                }
            }
        }

        func finish() { isFinished.store(true, ordering: .releasing) }
    }

    /// `log.waitUntilDurable(offset)`, bounded by a ``Watchdog``.
    static func waitUntilDurable(_ log: PartitionLog, _ offset: Int64) async throws {
        let watchdog = Watchdog(seconds: 100, "waitUntilDurable(\(offset))")
        defer { watchdog.finish() }
        try await log.waitUntilDurable(offset)
    }

    /// Polls `condition` until it holds or `seconds` have passed; returns whether it held.
    static func eventually(within seconds: Int = 60, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    @Test("whenDurable completes with a durable end past the offset", .timeLimit(.minutes(2)), arguments: policies)
    func whenDurableCompletes(_ policy: FlushPolicy) async throws {
        try await withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(policy))
            let completions = Completions()
            for round in 1...3 {
                let appended = try log.append(makeLogBatch(count: 4))
                log.whenDurable(appended.lastOffset, completion: completions.completion(for: appended.lastOffset))
                #expect(try await Self.eventually { completions.count == round }, "round \(round), \(policy)")
                let (offset, result) = try #require(completions.all.last)
                #expect(try result.get() > offset, "\(policy)")
                #expect(log.durableEndOffset == log.logEndOffset, "\(policy)")
            }
            // An offset that is already durable completes at once, on the caller's thread.
            log.whenDurable(0, completion: completions.completion(for: 0))
            #expect(completions.count == 4)
            #expect(try completions.all.last?.result.get() == log.logEndOffset)
            try log.close()
        }
    }

    @Test("waitUntilDurable returns once the offset is on disk", .timeLimit(.minutes(2)), arguments: policies)
    func waitUntilDurableReturns(_ policy: FlushPolicy) async throws {
        try await withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(policy))
            var previous = log.durableEndOffset
            for count in [1, 5, 2] {
                let appended = try log.append(makeLogBatch(count: count))
                try await Self.waitUntilDurable(log, appended.lastOffset)
                #expect(log.durableEndOffset > appended.lastOffset, "\(policy)")
                #expect(log.durableEndOffset > previous, "\(policy)")
                previous = log.durableEndOffset
                // Already durable: returns at once.
                try await Self.waitUntilDurable(log, appended.firstOffset)
            }
            try log.close()
        }
    }

    @Test(
        "durableEndOffset catches up by itself with the durable and interval policies",
        .timeLimit(.minutes(2)),
        arguments: [FlushPolicy.durable, .interval(milliseconds: 10)]
    )
    func durableEndCatchesUp(_ policy: FlushPolicy) async throws {
        try await withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(policy))
            for _ in 0..<20 { try log.append(makeLogBatch(count: 3)) }
            #expect(try await Self.eventually { log.durableEndOffset == 60 }, "\(policy)")
            try log.append(makeLogBatch())
            #expect(try await Self.eventually { log.durableEndOffset == 61 }, "\(policy)")
            try log.close()
        }
    }

    @Test("with the os policy nothing is flushed until asked; flush() makes it durable at once")
    func osPolicyFlushesOnDemand() throws {
        try withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(.os))
            for _ in 0..<10 { try log.append(makeLogBatch(count: 2)) }
            #expect(log.durableEndOffset == 0)
            try log.flush()
            #expect(log.durableEndOffset == 20)
            try log.close()
        }
    }

    @Test("many waiters, registered while appends go on, all complete", .timeLimit(.minutes(2)), arguments: policies)
    func manyWaiters(_ policy: FlushPolicy) async throws {
        try await withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(policy))
            let completions = Completions()
            var registered = 0
            for _ in 0..<500 {
                let appended = try log.append(makeLogBatch(count: 2))
                for offset in [appended.firstOffset, appended.lastOffset] {
                    log.whenDurable(offset, completion: completions.completion(for: offset))
                    registered += 1
                }
            }
            #expect(
                try await Self.eventually { completions.count == registered },
                "\(policy): \(completions.count) of \(registered)"
            )
            for (offset, result) in completions.all {
                #expect(try result.get() > offset, "\(policy)")
            }
            #expect(log.durableEndOffset == 1_000)
            try log.close()
        }
    }

    @Test(
        "the flush thread finishes what was submitted before shutdown and refuses what comes after",
        .timeLimit(.minutes(2))
    )
    func shutdown() async throws {
        try await withStorageFixture { fixture in
            let log = try fixture.open(Self.configuration(.os))
            let completions = Completions()
            try log.append(makeLogBatch(count: 3))
            log.whenDurable(2, completion: completions.completion(for: 2))
            fixture.scheduler.shutdown()
            // Submitted before the shutdown: flushed before the thread stopped.
            #expect(completions.count == 1)
            #expect(try completions.all.first?.result.get() == 3)

            try log.append(makeLogBatch(count: 2))
            log.whenDurable(4, completion: completions.completion(for: 4))
            #expect(completions.count == 2, "a refused submission completes at once")
            let refused = try #require(completions.all.last?.result)
            #expect(throws: LogStoreError.self) { try refused.get() }
            if case .failure(let error) = refused { #expect(error.code == .logClosed) }

            let error = await #expect(throws: LogStoreError.self) { try await Self.waitUntilDurable(log, 4) }
            #expect(error?.code == .logClosed)
            #expect(log.durableEndOffset == 3)

            // The owner can still flush and close by itself.
            try log.close()
            #expect(fixture.fileExists(fixture.path(PartitionLog.cleanShutdownFileName)))
            let reopened = try fixture.open(Self.configuration(.os))
            #expect(reopened.recoveryReport.wasCleanShutdown && reopened.logEndOffset == 5)
        }
    }
}
