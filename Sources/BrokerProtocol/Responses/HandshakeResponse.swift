import NIOCore

/// `handshake` v0 response:
/// ```
/// brokerVersion   string
/// maxFrameBytes   uint32      the largest frame the broker accepts
/// apis            array<{ apiKey uint16, minVersion uint16, maxVersion uint16 }>
/// ```
public struct HandshakeResponse: WireMessage, Hashable {
    public static let apiKey = APIKey.handshake

    /// The versions of one API that the broker serves.
    public struct VersionRange: Hashable, Sendable {
        public var apiKey: APIKey
        public var minVersion: UInt16
        public var maxVersion: UInt16

        public init(apiKey: APIKey, minVersion: UInt16, maxVersion: UInt16) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
        }
    }

    /// The broker's software version.
    public var brokerVersion: String
    /// The largest frame the broker accepts.
    public var maxFrameBytes: UInt32
    /// Every API the broker serves.
    public var apis: [VersionRange]

    public init(brokerVersion: String, maxFrameBytes: UInt32, apis: [VersionRange]) {
        self.brokerVersion = brokerVersion
        self.maxFrameBytes = maxFrameBytes
        self.apis = apis
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeWireString(brokerVersion)
        buffer.writeInteger(maxFrameBytes)
        buffer.writeWireArray(apis) { buffer, api in
            buffer.writeInteger(api.apiKey.rawValue)
            buffer.writeInteger(api.minVersion)
            buffer.writeInteger(api.maxVersion)
        }
    }

    public init(decoding buffer: inout ByteBuffer) throws {
        brokerVersion = try buffer.readWireString("brokerVersion")
        maxFrameBytes = try buffer.readWire(UInt32.self, "maxFrameBytes")
        apis = try buffer.readWireArray("apis", minimumElementBytes: 6) { buffer in
            VersionRange(
                apiKey: APIKey(rawValue: try buffer.readWire(UInt16.self, "apiKey")),
                minVersion: try buffer.readWire(UInt16.self, "minVersion"),
                maxVersion: try buffer.readWire(UInt16.self, "maxVersion")
            )
        }
    }
}
