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

    private enum State {
        case pending([CheckedContinuation<Placement, any Error>])
        case done(Result<Placement, ClientError>)
    }

    private let state = Mutex(State.pending([]))

    /// Waits for the batch to be sent (or to fail).
    func value() async throws -> Placement {
        try await withCheckedThrowingContinuation { continuation in
            let done = state.withLock { state -> Result<Placement, ClientError>? in
                switch state {
                case .pending(var waiters):
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return nil
                case .done(let result):
                    return result
                }
            }
            if let done { continuation.resume(with: done) }
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
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result.mapError { $0 as any Error }) }
    }
}
