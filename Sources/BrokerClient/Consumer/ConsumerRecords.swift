/// A ``Consumer``'s records as an `AsyncSequence`: each step polls when the records of the last
/// fetch are used up. It ends after ``Consumer/stop()`` at its next step.
///
/// Offsets lost to damage on the broker's disk end the iteration with ``LostOffsets``; the
/// consumer has already stepped past them, so a new iteration goes on after them.
public struct ConsumerRecords: AsyncSequence, Sendable {
    public typealias Element = ConsumerRecord

    let consumer: Consumer

    /// Iterates over the records.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: Consumer
        var buffered: [ConsumerRecord] = []
        var index = 0

        /// The next record; `nil` once a `stopsAtEnd` consumer has reached the end.
        public mutating func next() async throws -> ConsumerRecord? {
            while index == buffered.count {
                if consumer.isStopped { return nil }
                if await consumer.isAtEnd { return nil }
                try Task.checkCancellation()
                buffered = try await consumer.poll()
                index = 0
            }
            if consumer.isStopped {
                // Records fetched but not handed out go back, so positions say where to go on.
                await consumer.giveBack(buffered[index...])
                index = buffered.count
                return nil
            }
            defer { index += 1 }
            return buffered[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: consumer)
    }
}
