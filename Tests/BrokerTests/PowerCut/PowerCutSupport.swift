import BrokerProtocol
import Foundation
import LogStore
import LogStoreTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

@testable import Broker

/// Seeds of the power-cut property suites: `SLUICE_PROPERTY_SEED` runs one seed (to replay a
/// failure), `SLUICE_PROPERTY_SEEDS` sets how many run (each suite has its own small default, so
/// that the whole suite stays fast on a small machine).
enum PowerCutSeeds {
    static func seeds(default count: Int) -> [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let one = environment["SLUICE_PROPERTY_SEED"].flatMap({ UInt64($0) }) { return [one] }
        let count = environment["SLUICE_PROPERTY_SEEDS"].flatMap { Int($0) } ?? count
        return (1...UInt64(max(1, count))).map { $0 }
    }
}

/// A ``SimulatedDisk`` under one component (through a ``CuttingDisk``), with the flush thread its
/// logs use.
///
/// A power cut is two steps, so that a test can stop what still runs on the old disk in between:
/// the cut itself (``arm(after:seed:onCut:)`` for one in the middle of a write path,
/// ``cut(seed:onCut:)`` for one now) takes the disk a power cut at that instant leaves (the old disk
/// is untouched and whatever still runs against it cannot reach the new one); then
/// ``replace(with:)`` stops the old flush thread (its waiters are completed first) and makes the
/// new disk the one the next open finds.
final class PowerCutDisk: @unchecked Sendable {
    private let lock = NIOLock()
    private var current = CuttingDisk(SimulatedDisk())
    private var currentScheduler = FlushScheduler()
    private var stopped: [FlushScheduler] = []

    /// The file system to open the component on.
    var disk: CuttingDisk { lock.withLock { current } }
    var scheduler: FlushScheduler { lock.withLock { currentScheduler } }

    /// Cuts the power just before the `count`th changing file-system call from now; `onCut` runs
    /// at that instant (read there what was answered).
    func arm(after count: Int, seed: UInt64, onCut: @escaping @Sendable () -> Void) {
        disk.arm(after: count, seed: seed, onCut: onCut)
    }

    /// The disk the armed cut left, once it happened.
    var afterCut: SimulatedDisk? { disk.afterCut }

    /// The disk as a power cut now would leave it (or the armed cut did, if it happened):
    /// synced bytes kept, unsynced ones kept, dropped or torn at random from `seed`.
    func cut(seed: UInt64, onCut: @Sendable () -> Void = {}) -> SimulatedDisk {
        disk.cutNow(seed: seed, onCut: onCut)
    }

    /// Stops the old flush thread and swaps in `disk` (from a cut) with a new one.
    func replace(with disk: SimulatedDisk) {
        let old = lock.withLock {
            let old = currentScheduler
            currentScheduler = FlushScheduler()
            current = CuttingDisk(disk)
            stopped.append(old)
            return old
        }
        old.shutdown()
    }

    func tearDown() {
        let all = lock.withLock { stopped + [currentScheduler] }
        for scheduler in all { scheduler.shutdown() }
    }
}

/// Topics on a real temporary directory (what the component under test checks partitions
/// against or writes messages to; not itself under the power cut), with the thread pool and
/// flush thread they need.
final class PowerCutTopics: Sendable {
    let directory = NSTemporaryDirectory() + "sluice-power-cut-" + UUID().uuidString
    let registry: TopicRegistry
    let threadPool = NIOThreadPool(numberOfThreads: 1)
    let flushScheduler = FlushScheduler()

    init() {
        threadPool.start()
        registry = TopicRegistry(
            configuration: BrokerConfiguration(dataDirectory: directory, port: 0),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            threadPool: threadPool,
            flushScheduler: flushScheduler,
            logger: {
                var logger = Logger(label: "power-cut-topics")
                logger.logLevel = .warning
                return logger
            }()
        )
    }

    /// Prepares the data directory and creates `topics` (name, partition count).
    func create(_ topics: [(String, Int32)]) async throws {
        try await registry.load()
        for (name, partitions) in topics {
            _ = try await registry.create(CreateTopicRequest(topic: name, partitionCount: partitions))
        }
    }

    func tearDown() async {
        await registry.closeAll()
        flushScheduler.shutdown()
        try? await threadPool.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with fresh ``PowerCutTopics`` holding `topics`, torn down afterwards.
func withPowerCutTopics<T>(
    _ topics: [(String, Int32)],
    _ body: (PowerCutTopics) async throws -> T
) async throws -> T {
    let fixture = PowerCutTopics()
    do {
        try await fixture.create(topics)
        let result = try await body(fixture)
        await fixture.tearDown()
        return result
    } catch {
        await fixture.tearDown()
        throw error
    }
}

/// What a sequence of operations run one after the other in a background task has done: how many
/// were started and how many answered (acknowledged). Read before a cut: every operation counted
/// as answered then was durable before the cut.
final class OperationProgress: Sendable {
    private let state = NIOLockedValueBox((started: 0, answered: 0, stop: false))

    var started: Int { state.withLockedValue { $0.started } }
    var answered: Int { state.withLockedValue { $0.answered } }
    var shouldStop: Bool { state.withLockedValue { $0.stop } }

    func start() { state.withLockedValue { $0.started += 1 } }
    func answer() { state.withLockedValue { $0.answered += 1 } }
    func stop() { state.withLockedValue { $0.stop = true } }

    /// Waits (bounded: about 20 s) until `condition` holds.
    func wait(until condition: @Sendable () -> Bool) async throws {
        for _ in 0..<20_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}
