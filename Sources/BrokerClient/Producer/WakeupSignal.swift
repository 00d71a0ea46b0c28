import Synchronization

/// Wakes one waiting task; a signal sent while nobody waits is kept until the next wait.
///
/// The ``Producer``'s send loop waits on it; records, flushes and linger timers (scheduled on an
/// event loop) signal it. Thread-safe.
final class WakeupSignal: Sendable {
    private struct State {
        var isSignalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Returns at once if signalled since the last wait, else when signalled or cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await suspend(returningIfCancelled: true)
        } onCancel: {
            signal()
        }
    }

    /// Returns at once if signalled since the last wait, else when signalled, whether or not the
    /// task is cancelled. For a cancelled task that must still wait for work to end (``wait()``
    /// would return at once, again and again, and never let that work finish on its actor).
    func waitIgnoringCancellation() async {
        await suspend(returningIfCancelled: false)
    }

    private func suspend(returningIfCancelled: Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.isSignalled || (returningIfCancelled && Task.isCancelled) {
                    state.isSignalled = false
                    return true
                }
                precondition(state.waiter == nil, "one waiter at a time")
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Wakes the waiter, or the next one to wait.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.isSignalled = true
            return nil
        }
        waiter?.resume()
    }
}
