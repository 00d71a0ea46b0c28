import NIOCore

/// Reading and writing the protocol's primitive types (all big-endian):
///
/// | type | layout |
/// |---|---|
/// | `int8/16/32/64`, `uint16/32` | fixed width |
/// | `string` | UInt16 length (at most 65,534) + UTF-8 bytes |
/// | `nullable string` | UInt16 length (0xFFFF = null) + UTF-8 bytes |
/// | `bytes` | Int32 length (-1 = null) + bytes |
/// | `array<T>` | UInt32 count + elements |
///
/// Every read checks that the bytes are there and throws ``ProtocolError`` (`malformedRequest`)
/// naming the field otherwise; array counts are checked against the bytes left, so a hostile count
/// cannot make a reader allocate.
extension ByteBuffer {
    /// Reads a fixed-width integer.
    @inlinable
    public mutating func readWire<T: FixedWidthInteger>(
        _ type: T.Type = T.self,
        _ field: @autoclosure () -> String
    ) throws -> T {
        guard let value = readInteger(as: T.self) else {
            throw ProtocolError(.malformedRequest, "\(field()): expected \(MemoryLayout<T>.size) bytes")
        }
        return value
    }

    /// Writes a `string`.
    @inlinable
    public mutating func writeWireString(_ string: String) {
        let utf8 = string.utf8
        precondition(utf8.count <= Frame.maxStringBytes, "string too long for the wire")
        writeInteger(UInt16(utf8.count))
        writeString(string)
    }

    /// Writes a `nullable string`.
    @inlinable
    public mutating func writeWireNullableString(_ string: String?) {
        if let string {
            writeWireString(string)
        } else {
            writeInteger(UInt16.max)
        }
    }

    /// Writes an error message as a `nullable string`. Messages may quote what a client sent, so one
    /// longer than ``Frame/maxStringBytes`` is cut to fit (between Unicode scalars, ending in "…")
    /// instead of tripping the precondition of ``writeWireString(_:)``.
    public mutating func writeWireMessage(_ message: String?) {
        writeWireNullableString(message?.truncatedForWire)
    }

    /// Reads a `string`.
    @inlinable
    public mutating func readWireString(_ field: @autoclosure () -> String = "string") throws -> String {
        guard let string = try readWireNullableString(field()) else {
            throw ProtocolError(.malformedRequest, "\(field()): null where a string is required")
        }
        return string
    }

    /// Reads a `nullable string`.
    @inlinable
    public mutating func readWireNullableString(_ field: @autoclosure () -> String = "string") throws -> String? {
        let length = try readWire(UInt16.self, "\(field()) length")
        if length == .max { return nil }
        guard let bytes = readSlice(length: Int(length)) else {
            throw ProtocolError(.malformedRequest, "\(field()): \(length) bytes announced, \(readableBytes) left")
        }
        guard let string = String(validating: bytes.readableBytesView, as: UTF8.self) else {
            throw ProtocolError(.malformedRequest, "\(field()): not valid UTF-8")
        }
        return string
    }

    /// Writes `bytes`.
    @inlinable
    public mutating func writeWireBytes(_ bytes: ByteBuffer?) {
        if let bytes {
            writeInteger(Int32(bytes.readableBytes))
            writeImmutableBuffer(bytes)
        } else {
            writeInteger(Int32(-1))
        }
    }

    /// Reads `bytes` as a slice (no copy).
    @inlinable
    public mutating func readWireBytes(_ field: @autoclosure () -> String = "bytes") throws -> ByteBuffer? {
        let length = try readWire(Int32.self, "\(field()) length")
        if length == -1 { return nil }
        guard length >= 0, let bytes = readSlice(length: Int(length)) else {
            throw ProtocolError(.malformedRequest, "\(field()): length \(length) with \(readableBytes) bytes left")
        }
        return bytes
    }

    /// Writes an `array`.
    @inlinable
    public mutating func writeWireArray<C: Collection>(_ elements: C, _ write: (inout ByteBuffer, C.Element) -> Void) {
        writeInteger(UInt32(elements.count))
        for element in elements { write(&self, element) }
    }

    /// Reads an `array` whose elements take at least `minimumElementBytes` each.
    @inlinable
    public mutating func readWireArray<T>(
        _ field: @autoclosure () -> String,
        minimumElementBytes: Int = 1,
        _ read: (inout ByteBuffer) throws -> T
    ) throws -> [T] {
        let count = try readWire(UInt32.self, "\(field()) count")
        guard Int(count) <= readableBytes / max(1, minimumElementBytes) else {
            throw ProtocolError(.malformedRequest, "\(field()): \(count) elements cannot fit in \(readableBytes) bytes")
        }
        var elements: [T] = []
        elements.reserveCapacity(Int(count))
        for _ in 0..<count { elements.append(try read(&self)) }
        return elements
    }

    /// Throws unless every byte was consumed: trailing bytes mean a version mismatch or a bug.
    @inlinable
    public func expectFullyRead(_ message: @autoclosure () -> String) throws {
        guard readableBytes == 0 else {
            throw ProtocolError(.malformedRequest, "\(message()): \(readableBytes) unexpected trailing bytes")
        }
    }
}

extension String {
    /// The string, or if its UTF-8 is longer than ``Frame/maxStringBytes``, its longest prefix that
    /// fits together with a trailing "…", cut between Unicode scalars.
    var truncatedForWire: String {
        guard utf8.count > Frame.maxStringBytes else { return self }
        let ellipsis = "…"
        var end = utf8.index(utf8.startIndex, offsetBy: Frame.maxStringBytes - ellipsis.utf8.count)
        while end.samePosition(in: unicodeScalars) == nil { utf8.formIndex(before: &end) }
        return String(unicodeScalars[..<end]) + ellipsis
    }
}

/// A request or response body of one API version.
public protocol WireMessage: Sendable {
    /// The API this message belongs to.
    static var apiKey: APIKey { get }
    /// Writes the body (not the frame header).
    func encode(into buffer: inout ByteBuffer)
    /// Reads a body, consuming all of it.
    init(decoding buffer: inout ByteBuffer) throws
    /// Reads a body encoded at `version` (of the request it answers); a message whose layout
    /// does not change with the version reads it as ``init(decoding:)`` does (the default).
    init(decoding buffer: inout ByteBuffer, version: UInt16) throws
}

extension WireMessage {
    /// Reads a body the same way at every version.
    public init(decoding buffer: inout ByteBuffer, version: UInt16) throws {
        try self.init(decoding: &buffer)
    }

    /// Decodes a whole body, rejecting trailing bytes.
    public static func decode(_ body: ByteBuffer) throws -> Self {
        var body = body
        let message = try Self(decoding: &body)
        try body.expectFullyRead("\(apiKey) body")
        return message
    }

    /// Decodes a whole body encoded at `version`, rejecting trailing bytes.
    public static func decode(_ body: ByteBuffer, version: UInt16) throws -> Self {
        var body = body
        let message = try Self(decoding: &body, version: version)
        try body.expectFullyRead("\(apiKey) v\(version) body")
        return message
    }

    /// The encoded body.
    public func encoded() -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }
}
