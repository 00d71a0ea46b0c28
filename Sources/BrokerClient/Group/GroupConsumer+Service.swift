import ServiceLifecycle

/// A group member is a swift-service-lifecycle `Service`: at a graceful shutdown it leaves the
/// group, which ends its ``GroupConsumer/messages()`` iteration (the messages it held unfinished
/// go to the other members at once, not counted as failures). List it after the service that
/// handles its messages, and the connection before both: the group stops the member first, the
/// handler's iteration then ends, and the connection closes last.
extension GroupConsumer: Service {
    /// Waits for a graceful shutdown (or the task's cancellation), then starts leaving and returns:
    /// the handler's iteration ends once the broker has taken the member out, after this service
    /// has finished, as a `ServiceGroup` expects.
    public func run() async throws {
        try? await gracefulShutdown()
        Task { try? await self.leave() }
    }
}
