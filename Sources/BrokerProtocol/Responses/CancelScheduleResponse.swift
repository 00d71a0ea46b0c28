import NIOCore

/// `cancelSchedule` v0 response, one result per requested id, in request order:
/// ```
/// entries             array<{
///   outcome           int8        0 cancelled, 1 alreadyDelivered, 2 unknown (other values: malformed)
///   errorCode         int16       0, or why this id could not be cancelled (then outcome is 2)
///   errorMessage      nullable string
/// }>
/// ```
public struct CancelScheduleResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.cancelSchedule

    /// What happened to one id.
    public struct EntryResult: Hashable, Sendable {
        /// The outcome; ``CancelOutcome/unknown`` when ``errorCode`` is not 0.
        public var outcome: CancelOutcome
        public var errorCode: ErrorCode
        public var errorMessage: String?

        /// Creates a result.
        public init(outcome: CancelOutcome, errorCode: ErrorCode = .none, errorMessage: String? = nil) {
            self.outcome = outcome
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }

        /// A failed id.
        public static func failure(_ code: ErrorCode, _ message: String) -> EntryResult {
            EntryResult(outcome: .unknown, errorCode: code, errorMessage: message)
        }
    }

    public var entries: [EntryResult]

    /// Creates a response.
    public init(entries: [EntryResult]) { self.entries = entries }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireArray(entries) { buffer, entry in
            buffer.writeInteger(entry.outcome.rawValue)
            buffer.writeInteger(entry.errorCode.rawValue)
            buffer.writeWireMessage(entry.errorMessage)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        entries = try buffer.readWireArray("entries", minimumElementBytes: 5) { buffer in
            EntryResult(
                outcome: try buffer.readWireEnum(CancelOutcome.self, "outcome"),
                errorCode: ErrorCode(rawValue: try buffer.readWire(Int16.self, "errorCode")),
                errorMessage: try buffer.readWireNullableString("errorMessage")
            )
        }
    }
}
