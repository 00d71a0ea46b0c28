import BrokerProtocol

/// An error from the Sluice client: what went wrong, in one line a person at a terminal can read.
///
/// ```
/// cannot connect to broker at 127.0.0.1:7420: connection refused
/// unknown topic: topic "orders" does not exist
/// ```
public struct ClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. Compare with the static members (`error.code == .connectionFailed`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case connectionFailed
            case connectionClosed
            case timedOut
            case broker(ErrorCode)
            case protocolViolation
            case unsupportedVersion
            case invalidArgument
            case closed
            case notRunning
        }

        fileprivate var base: Base

        /// The broker's error code, when the broker answered with one.
        var brokerCode: ErrorCode? {
            if case .broker(let code) = base { return code }
            return nil
        }

        /// The broker could not be reached (refused, unresolvable, timed out while connecting).
        public static let connectionFailed = Code(base: .connectionFailed)
        /// The connection closed while requests were waiting for responses.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// A request got no response in time.
        public static let timedOut = Code(base: .timedOut)
        /// The broker answered with an error code.
        public static func broker(_ code: ErrorCode) -> Code { Code(base: .broker(code)) }
        /// The broker sent bytes that do not decode as the protocol says.
        public static let protocolViolation = Code(base: .protocolViolation)
        /// The broker does not serve an API version this client speaks.
        public static let unsupportedVersion = Code(base: .unsupportedVersion)
        /// The caller passed a value the client cannot use.
        public static let invalidArgument = Code(base: .invalidArgument)
        /// The producer, consumer or connection was closed by its owner.
        public static let closed = Code(base: .closed)
        /// The producer's `run()` is not running, so nothing sends its records: call `run()` (or
        /// use `withProducer`, or add the producer to a `ServiceGroup`).
        public static let notRunning = Code(base: .notRunning)

        /// The broker's error code, for ``broker(_:)`` errors.
        public var brokerErrorCode: ErrorCode? {
            if case .broker(let code) = base { return code }
            return nil
        }

        /// Whether the failure is about the connection rather than the request, so that an
        /// idempotent request may be sent again.
        public var isConnectionLevel: Bool {
            switch base {
            case .connectionFailed, .connectionClosed, .timedOut: true
            default: false
            }
        }

        public var description: String {
            switch base {
            case .connectionFailed: "connectionFailed"
            case .connectionClosed: "connectionClosed"
            case .timedOut: "timedOut"
            case .broker(let code): "broker(\(code))"
            case .protocolViolation: "protocolViolation"
            case .unsupportedVersion: "unsupportedVersion"
            case .invalidArgument: "invalidArgument"
            case .closed: "closed"
            case .notRunning: "notRunning"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, in one line.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error)?
    /// Where in the client it was raised.
    public var location: String

    /// Creates an error. Line breaks in `message` are replaced by spaces: the description is one line.
    public init(
        _ code: Code,
        _ message: String,
        cause: (any Error)? = nil,
        file: StaticString = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        self.cause = cause
        self.location = "\(file):\(line)"
    }

    /// A broker error: the code's default message, then the broker's message when it adds something.
    public static func broker(
        _ code: ErrorCode,
        _ message: String?,
        file: StaticString = #fileID,
        line: UInt = #line
    ) -> ClientError {
        let text: String
        if let message, message.lowercased().hasPrefix(code.description) {
            text = message
        } else if let message, !message.isEmpty {
            text = "\(code): \(message)"
        } else {
            text = code.description
        }
        return ClientError(.broker(code), text, file: file, line: line)
    }

    /// The one-line message.
    public var description: String { message }
}
