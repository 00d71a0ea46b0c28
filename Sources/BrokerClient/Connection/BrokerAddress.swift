/// Where a broker listens: `HOST:PORT`, with IPv6 hosts in brackets (`[::1]:7420`).
public struct BrokerAddress: Hashable, Sendable, CustomStringConvertible {
    /// The port `brokerd` listens on by default.
    public static let defaultPort = 7420
    /// `127.0.0.1:7420`.
    public static let `default` = BrokerAddress(host: "127.0.0.1", port: defaultPort)
    /// The environment variable that overrides the default address of the tools.
    public static let environmentVariable = "SLUICE_BROKER"

    /// A host name or IP address.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// Creates an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`; `nil` if it is not one.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace), portText.allSatisfy(\.isASCII),
            let port = Int(portText), (1...65535).contains(port)
        else { return nil }
        self.init(host: String(host), port: port)
    }

    /// The address from `$SLUICE_BROKER` if set, else `127.0.0.1:7420`.
    /// - Throws: ``ClientError`` (`invalidArgument`) if the variable is set to something that is
    ///   not `HOST:PORT`.
    public static func fromEnvironment(_ environment: [String: String]) throws -> BrokerAddress {
        guard let value = environment[environmentVariable], !value.isEmpty else { return .default }
        guard let address = BrokerAddress(parsing: value) else {
            throw ClientError(.invalidArgument, "\(environmentVariable)=\(value) is not HOST:PORT")
        }
        return address
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
