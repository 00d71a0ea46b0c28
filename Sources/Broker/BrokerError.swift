import BrokerProtocol
import Foundation
import LogStore
import RecordCodec

/// An error from the broker: a wire ``ErrorCode`` and a message that says what happened.
public struct BrokerError: Error, Sendable, CustomStringConvertible {
    /// The code sent to clients.
    public var code: ErrorCode
    /// What happened.
    public var message: String
    /// Where in Sluice it was raised.
    public var location: String

    /// Creates an error.
    public init(_ code: ErrorCode, _ message: String, file: StaticString = #fileID, line: UInt = #line) {
        self.code = code
        self.message = message
        self.location = "\(file):\(line)"
    }

    /// Maps any error to a broker error: storage errors keep their meaning.
    public init(_ error: any Error) {
        switch error {
        case let error as BrokerError:
            self = error
        case let error as LogStoreError:
            // What happened and where, without the storage code's internal name (`batchTooLarge: …`):
            // clients print this message, and the wire error code already says the kind.
            let prefix = "\(error.code): "
            let text = error.description
            self.init(Self.code(for: error), text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
        case let error as RecordBatchError:
            self.init(LogStoreError(error))
        case let error as ProtocolError:
            self.init(error.code, error.message)
        default:
            self.init(.unknownServerError, Self.describe(error))
        }
    }

    /// `error`'s text; a Foundation file error becomes its path and the system's reason (never
    /// `Error Domain=NSCocoaErrorDomain Code=…`).
    static func describe(_ error: any Error) -> String {
        let bridged = error as NSError
        guard bridged.domain == NSCocoaErrorDomain || bridged.domain == NSPOSIXErrorDomain else { return "\(error)" }
        var code = bridged.domain == NSPOSIXErrorDomain ? Int32(truncatingIfNeeded: bridged.code) : nil
        if let underlying = bridged.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            code = Int32(truncatingIfNeeded: underlying.code)
        }
        let reason = code.map { "\(String(cString: strerror($0))) (errno \($0))" } ?? "file operation failed"
        guard let path = bridged.userInfo[NSFilePathErrorKey] as? String else { return reason }
        return "\(path): \(reason)"
    }

    static func code(for error: LogStoreError) -> ErrorCode {
        switch error.code {
        case .offsetOutOfRange: .offsetOutOfRange
        case .batchTooLarge, .decompressedTooLarge: .recordBatchTooLarge
        case .badMagic, .badLength, .checksumMismatch, .recordCountMismatch, .truncatedRecord, .varintOverflow,
            .unsupportedCompression, .corruptCompressedData, .invalidBatch:
            .corruptRecordBatch
        case .invalidTimestamp: .invalidTimestamp
        case .invalidConfiguration: .invalidTopicConfiguration
        default: .storageError
        }
    }

    public var description: String { "\(code): \(message)" }
}
