import ServiceLifecycle

/// A producer is a swift-service-lifecycle `Service`: add it to a `ServiceGroup`, which runs its
/// ``Producer/run()``.
extension Producer: Service {}
