/// Every page of a listing of pending schedules, fetched one at a time as the sequence is iterated,
/// following the broker's cursors until the last page. From ``ScheduleClient/pages(topic:dueBefore:idPrefix:pageSize:)``.
///
/// ```swift
/// for try await page in schedules.pages(topic: "orders", dueBefore: tomorrow) {
///     for schedule in page.schedules { print(schedule.scheduleID) }
/// }
/// ```
public struct SchedulePages: AsyncSequence, Sendable {
    public typealias Element = SchedulePage

    let client: ScheduleClient
    let topic: String
    let dueBefore: Int64?
    let idPrefix: String?
    let pageSize: Int

    /// Fetches the pages in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let pages: SchedulePages
        var cursor: ScheduleCursor?
        var finished = false

        /// The next page, or `nil` after the last one.
        /// - Throws: ``ClientError``; `protocolViolation` when the broker hands back the cursor it
        ///   was sent (the listing would never end).
        public mutating func next() async throws -> SchedulePage? {
            guard !finished else { return nil }
            let sent = cursor
            let page = try await pages.client.listPage(
                topic: pages.topic,
                dueBefore: pages.dueBefore,
                idPrefix: pages.idPrefix,
                limit: pages.pageSize,
                after: sent
            )
            if let next = page.next, next == sent {
                finished = true
                throw ClientError(.protocolViolation, "the broker answered a listing page with the cursor it was sent")
            }
            cursor = page.next
            finished = page.next == nil
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pages: self) }
}
