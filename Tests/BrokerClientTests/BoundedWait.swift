import Synchronization

/// How an operation raced against a bounded wait ended.
enum BoundedOutcome<Value: Sendable>: Sendable {
    case returned(Value)
    case threw(any Error)
    case stillWaiting
}

/// Runs `operation` in its own task and returns how it ended, or `.stillWaiting` if it has not
/// ended after `limit` (the task is then cancelled and left behind, so that a hang fails the test
/// instead of hanging it). A bounded wait, not a timing assertion: `limit` is far above the
/// operation's expected time.
func boundedWait<Value: Sendable>(
    _ limit: Duration = .seconds(20),
    _ operation: @escaping @Sendable () async throws -> Value
) async -> BoundedOutcome<Value> {
    let settled = Mutex(false)
    return await withCheckedContinuation { (continuation: CheckedContinuation<BoundedOutcome<Value>, Never>) in
        let resume: @Sendable (BoundedOutcome<Value>) -> Void = { outcome in
            let first = settled.withLock { settled -> Bool in
                defer { settled = true }
                return !settled
            }
            if first { continuation.resume(returning: outcome) }
        }
        let task = Task {
            do {
                resume(.returned(try await operation()))
            } catch {
                resume(.threw(error))
            }
        }
        Task {
            try? await Task.sleep(for: limit)
            resume(.stillWaiting)
            task.cancel()
        }
    }
}
