extension KafkaClassicGroup {
    /// One protocol a member supports, with its metadata (a JoinGroup request's `Protocols` entry; for consumers the
    /// name is the assignor, such as `range`, and the metadata the serialized subscription).
    public struct MemberProtocol: Sendable, Hashable {
        /// The protocol name.
        public var name: String
        /// The protocol metadata, opaque to the coordinator.
        public var metadata: [UInt8]

        /// A protocol with its metadata.
        public init(name: String, metadata: [UInt8]) {
            self.name = name
            self.metadata = metadata
        }
    }
}
