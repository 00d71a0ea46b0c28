import Synchronization

/// The result of sending one batch, which every record of the batch waits for. Thread-safe.
final class BatchOutcome: Sendable {
    /// Where a sent batch's records went.
    struct Placement: Sendable {
        /// The partition.
        var partition: Int32
        /// The first record's offset; `nil` with acks `none`.
        var baseOffset: Int64?
        /// One offset per record when they are not `baseOffset, baseOffset + 1, …` (deduplicated
        /// records carry their first copy's offset).
        var recordOffsets: [Int64]

        /// The offset of the record at `index` in the batch.
        func offset(ofRecordAt index: Int) -> Int64? {
            guard let baseOffset else { return nil }
            return recordOffsets.isEmpty ? baseOffset + Int64(index) : recordOffsets[index]
        }
    }

    private struct Waiters {
        var nextID: UInt64 = 0
        var continuations: [UInt64: CheckedContinuation<Placement, any Error>] = [:]
    }

    private enum State {
        case pending(Waiters)
        case done(Result<Placement, ClientError>)
    }

    private let state = Mutex(State.pending(Waiters()))

    /// Waits for the batch to be sent (or to fail), or until the task is cancelled.
    /// - Throws: the batch's ``ClientError``, or `CancellationError` when the waiting task is
    ///   cancelled (the record stays in its batch: cancelling the wait does not withdraw it).
    func value() async throws -> Placement {
        let id = state.withLock { state -> UInt64? in
            guard case .pending(var waiters) = state else { return nil }
            waiters.nextID += 1
            state = .pending(waiters)
            return waiters.nextID
        }
        guard let id else { return try result!.get() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Action { case wait, cancel, finish(Result<Placement, ClientError>) }
                let action = state.withLock { state -> Action in
                    switch state {
                    case .pending(var waiters):
                        if Task.isCancelled { return .cancel }
                        waiters.continuations[id] = continuation
                        state = .pending(waiters)
                        return .wait
                    case .done(let result):
                        return .finish(result)
                    }
                }
                switch action {
                case .wait: break
                case .cancel: continuation.resume(throwing: CancellationError())
                case .finish(let result): continuation.resume(with: result.mapError { $0 as any Error })
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Placement, any Error>? in
                guard case .pending(var waiters) = state else { return nil }
                let continuation = waiters.continuations.removeValue(forKey: id)
                state = .pending(waiters)
                return continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    /// The result, once done.
    private var result: Result<Placement, ClientError>? {
        state.withLock { state in
            if case .done(let result) = state { return result }
            return nil
        }
    }

    /// Whether the batch is done.
    var isDone: Bool {
        state.withLock { state in
            if case .done = state { return true }
            return false
        }
    }

    /// Records the result and wakes every waiter. Later calls are ignored.
    func complete(_ result: Result<Placement, ClientError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Placement, any Error>] in
            guard case .pending(let waiters) = state else { return [] }
            state = .done(result)
            return Array(waiters.continuations.values)
        }
        for waiter in waiters { waiter.resume(with: result.mapError { $0 as any Error }) }
    }
}
