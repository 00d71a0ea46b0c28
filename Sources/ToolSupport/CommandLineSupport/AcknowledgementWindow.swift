import DequeModule

/// The messages `producer` has handed to the client library but not yet printed, in input order,
/// with room for at most ``capacity``: the input reader waits in ``push(_:)`` while it is full, so
/// reading standard input is back-pressured by the printing of acknowledgements (and through it by
/// the broker).
///
/// The reader ends it with ``finish(error:)``; the printer stops the reader with ``stop()``,
/// after which ``push(_:)`` no longer waits and returns `false`, while ``next()`` still hands out
/// what is queued, so that every message handed to the client library is accounted for.
actor AcknowledgementWindow<Element: Sendable> {
    /// The most elements queued.
    let capacity: Int
    private var queue = Deque<Element>()
    private var pushers: [CheckedContinuation<Void, Never>] = []
    private var popper: CheckedContinuation<Void, Never>?
    private var isFinished = false
    /// Set between ``willSend()`` and the ``push(_:)`` (or ``didNotSend()``) that follows: the
    /// reader is handing a message to the client library, so the printer must wait for it.
    private var isSending = false
    /// Set by ``stop()``: the reader must stop.
    private(set) var isStopped = false
    /// The error the reader finished with, if any.
    private(set) var inputError: (any Error)?
    /// The signal that asked the tool to finish (``interrupt(by:)``), if any.
    private(set) var interruptingSignal: Int32?

    /// Creates an empty window.
    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// The number of elements queued.
    var count: Int { queue.count }
    /// Pushes waiting for room (tests wait for one to be waiting before checking it is held).
    var waitingPushCount: Int { pushers.count }

    /// Queues `element`, waiting while the window is full (but not once stopped).
    /// - Returns: `false` if the window was stopped: stop reading.
    @discardableResult
    func push(_ element: Element) async -> Bool {
        while queue.count >= capacity && !isStopped {
            await withCheckedContinuation { pushers.append($0) }
        }
        precondition(!isFinished, "push after finish")
        isSending = false
        queue.append(element)
        wakePopper()
        return !isStopped
    }

    /// The reader is about to hand a message to the client library; ``next()`` does not report
    /// the end until it is pushed (or ``didNotSend()``), since the library may send it anyway.
    /// - Returns: `false` if the window is stopped: do not send.
    func willSend() -> Bool {
        guard !isStopped else { return false }
        isSending = true
        return true
    }

    /// The message announced by ``willSend()`` was not handed over (the library refused it).
    func didNotSend() {
        isSending = false
        wakePopper()
    }

    /// Whether ``next()`` would report the end now: finished or stopped, nothing queued, and no
    /// message being handed over.
    var isDrained: Bool {
        queue.isEmpty && (isFinished || isStopped) && !isSending
    }

    /// The reader has no more elements; `error` says why it stopped early, if it did.
    func finish(error: (any Error)? = nil) {
        isFinished = true
        if inputError == nil { inputError = error }
        wakePopper()
    }

    /// Tells the reader to stop; wakes it if it waits for room.
    func stop() {
        isStopped = true
        wakePushers()
        wakePopper()
    }

    /// Stops the reader because a signal asked the tool to finish; what is queued is still handed out.
    func interrupt(by signal: Int32) {
        if interruptingSignal == nil { interruptingSignal = signal }
        stop()
    }

    /// The next element; `nil` once the window ``isDrained``.
    func next() async -> Element? {
        while queue.isEmpty {
            if isDrained { return nil }
            await withCheckedContinuation { popper = $0 }
        }
        let element = queue.removeFirst()
        wakePushers()
        return element
    }

    private func wakePopper() {
        popper?.resume()
        popper = nil
    }

    private func wakePushers() {
        let waiting = pushers
        pushers.removeAll()
        for pusher in waiting { pusher.resume() }
    }
}
