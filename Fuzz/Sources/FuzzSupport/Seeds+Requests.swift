import BrokerProtocol

extension Seeds {
    /// The seeds of `FuzzRequests`: byte 0 selects the API, the rest is its request body. One
    /// seed per API with a valid body, one with an empty body.
    public static func requests() -> [String: [UInt8]] {
        var seeds: [String: [UInt8]] = [:]
        let supported = ProtocolVersions.supported.map(\.apiKey)
        for (apiKey, request, _) in sampleMessages() {
            guard let index = supported.firstIndex(of: apiKey) else { continue }
            seeds["request-\(apiKey)"] = [UInt8(index)] + request
            seeds["empty-\(apiKey)"] = [UInt8(index)]
        }
        return seeds
    }
}
