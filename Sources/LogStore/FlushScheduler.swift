import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The flush thread: runs every `fdatasync` of the logs that use it, so that no caller's thread
/// (in the broker, no event loop) ever blocks on the disk.
///
/// Group commit: requests that arrive while a flush is running wait for the next one, and all
/// requests for one log that are waiting at the start of a round share a single flush — one
/// `fdatasync` per dirty file, however many appends and waiters it covers. Logs with the
/// ``FlushPolicy/interval(milliseconds:)`` policy are also flushed here on their timer.
///
/// One scheduler may serve many logs; a process usually has one.
public final class FlushScheduler: Sendable {
    /// Called on the flush thread with the log's durable end offset, or the flush error.
    public typealias Completion = @Sendable (Result<Int64, LogStoreError>) -> Void

    private struct Request {
        let flusher: LogFlusher
        let completion: Completion?
    }

    private struct Timer {
        let flusher: LogFlusher
        let intervalMilliseconds: Int
        var dueAt: Int64
    }

    private struct State {
        var requests: [Request] = []
        var timers: [Timer] = []
        var isStopping = false
    }

    private let state = NIOLockedValueBox(State())
    /// `true` when there is work; the thread sleeps on it.
    private let signal = ConditionLock(value: false)
    private let thread: NIOLockedValueBox<pthread_t?> = NIOLockedValueBox(nil)
    /// Told how long each flush that had work took, and whether it succeeded (metrics).
    private let flushObserver: (@Sendable (_ nanoseconds: Int64, _ succeeded: Bool) -> Void)?

    /// Starts the flush thread. `flushObserver`, if given, runs on the flush thread after each
    /// flush that had unsynced writes, with its duration (fsync latency) and outcome.
    public init(flushObserver: (@Sendable (_ nanoseconds: Int64, _ succeeded: Bool) -> Void)? = nil) {
        self.flushObserver = flushObserver
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let result = pthread_create(
            &handle,
            nil,
            { argument in
                let scheduler = Unmanaged<FlushScheduler>.fromOpaque(argument!).takeRetainedValue()
                scheduler.run()
                return nil
            },
            box.toOpaque()
        )
        precondition(result == 0, "pthread_create failed: \(result)")
        thread.withLockedValue { $0 = handle }
    }

    /// Asks for `flusher` to be flushed; `completion` runs on the flush thread afterwards.
    func submit(_ flusher: LogFlusher, completion: Completion?) {
        let accepted = state.withLockedValue { state in
            guard !state.isStopping else { return false }
            state.requests.append(Request(flusher: flusher, completion: completion))
            return true
        }
        guard accepted else {
            completion?(.failure(LogStoreError(.logClosed, "the flush scheduler has shut down")))
            return
        }
        wake()
    }

    /// Flushes `flusher` at least every `intervalMilliseconds` while it has unsynced writes.
    func register(_ flusher: LogFlusher, intervalMilliseconds: Int) {
        state.withLockedValue { state in
            state.timers.append(
                Timer(
                    flusher: flusher,
                    intervalMilliseconds: intervalMilliseconds,
                    dueAt: monotonicMilliseconds() + Int64(intervalMilliseconds)
                )
            )
        }
        wake()
    }

    /// Stops flushing `flusher` on a timer.
    func unregister(_ flusher: LogFlusher) {
        state.withLockedValue { $0.timers.removeAll { $0.flusher === flusher } }
    }

    /// Finishes the requests already submitted, then stops the thread and waits for it.
    /// Later submissions fail with `logClosed`.
    public func shutdown() {
        state.withLockedValue { $0.isStopping = true }
        wake()
        if let handle = thread.withLockedValue({ value -> pthread_t? in
            defer { value = nil }; return value
        }) {
            pthread_join(handle, nil)
        }
    }

    private func wake() {
        signal.lock()
        signal.unlock(withValue: true)
    }

    private func run() {
        while true {
            let timeout = state.withLockedValue { state -> Double in
                guard let due = state.timers.map(\.dueAt).min() else { return 1.0 }
                return max(0, Double(due - monotonicMilliseconds()) / 1000)
            }
            if signal.lock(whenValue: true, timeoutSeconds: timeout) {
                signal.unlock(withValue: false)
            }
            let (requests, dueFlushers, isStopping) = state.withLockedValue { state in
                let requests = state.requests
                state.requests.removeAll(keepingCapacity: true)
                let now = monotonicMilliseconds()
                var due: [LogFlusher] = []
                for index in state.timers.indices where state.timers[index].dueAt <= now {
                    due.append(state.timers[index].flusher)
                    state.timers[index].dueAt = now + Int64(state.timers[index].intervalMilliseconds)
                }
                return (requests, due, state.isStopping)
            }
            flush(requests, dueFlushers)
            if isStopping && state.withLockedValue({ $0.requests.isEmpty }) { return }
        }
    }

    /// One group-commit round: one flush per log, then every completion waiting on that log.
    private func flush(_ requests: [Request], _ dueFlushers: [LogFlusher]) {
        var order: [LogFlusher] = []
        var completions: [ObjectIdentifier: [Completion]] = [:]
        for request in requests {
            let key = ObjectIdentifier(request.flusher)
            if completions[key] == nil {
                order.append(request.flusher)
                completions[key] = []
            }
            if let completion = request.completion { completions[key]!.append(completion) }
        }
        for flusher in dueFlushers where completions[ObjectIdentifier(flusher)] == nil && flusher.hasUnsyncedWrites {
            order.append(flusher)
        }
        for flusher in order {
            let hasWork = flushObserver != nil && flusher.hasUnsyncedWrites
            let started = hasWork ? monotonicNanoseconds() : 0
            let result: Result<Int64, LogStoreError>
            do {
                result = .success(try flusher.flush())
            } catch let error as LogStoreError {
                result = .failure(error)
            } catch {
                result = .failure(LogStoreError(.ioFailure, "flush failed: \(error)"))
            }
            if hasWork, let flushObserver {
                let succeeded = if case .success = result { true } else { false }
                flushObserver(monotonicNanoseconds() - started, succeeded)
            }
            for completion in completions[ObjectIdentifier(flusher)] ?? [] { completion(result) }
        }
    }
}

/// Milliseconds on a clock that never jumps (for timers, not timestamps).
func monotonicMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}

/// Nanoseconds on a clock that never jumps (for durations).
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}

/// Milliseconds since the Unix epoch (record timestamps, retention).
public func currentTimeMilliseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
