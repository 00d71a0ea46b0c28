import NIOConcurrencyHelpers

/// Holds the broker's scheduler, opened at start-up if `__schedules` exists, else on the first
/// schedule request (a broker whose clients never schedule writes nothing for it).
final class SchedulerHost: Sendable {
    private let opened = NIOLockedValueBox<Scheduler?>(nil)
    private let opener: Opener

    /// Opens once: concurrent first requests wait for the same open; a failed open is tried
    /// again by the next request.
    private actor Opener {
        let open: @Sendable () async throws -> Scheduler
        var task: Task<Scheduler, Error>?

        init(open: @escaping @Sendable () async throws -> Scheduler) { self.open = open }

        func scheduler() async throws -> Scheduler {
            if let task { return try await task.value }
            let task = Task { try await open() }
            self.task = task
            do {
                return try await task.value
            } catch {
                self.task = nil
                throw error
            }
        }
    }

    /// - Parameter open: opens the scheduler and settles it (``Scheduler/settle()``).
    init(open: @escaping @Sendable () async throws -> Scheduler) {
        self.opener = Opener(open: open)
    }

    /// The scheduler, if it is open.
    var current: Scheduler? { opened.withLockedValue { $0 } }

    /// The scheduler, opened now if it is not yet.
    func scheduler() async throws -> Scheduler {
        if let current { return current }
        let scheduler = try await opener.scheduler()
        opened.withLockedValue { $0 = scheduler }
        return scheduler
    }
}
