import Synchronization
import Testing

/// Waits (boundedly: about 20 s, far longer than a cancellation or timeout takes) for `task` to
/// end and returns how it ended; `nil`, and an issue, if it did not.
func outcome(of task: Task<some Sendable, any Error>) async -> Result<Void, any Error>? {
    let done = Mutex<Result<Void, any Error>?>(nil)
    let waiter = Task {
        let result: Result<Void, any Error>
        do {
            _ = try await task.value
            result = .success(())
        } catch {
            result = .failure(error)
        }
        done.withLock { $0 = result }
    }
    for _ in 0..<2000 {
        if let result = done.withLock({ $0 }) { return result }
        try? await Task.sleep(for: .milliseconds(10))
    }
    waiter.cancel()
    Issue.record("the task did not end")
    return nil
}
