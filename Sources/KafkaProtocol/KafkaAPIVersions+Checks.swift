extension KafkaAPIVersions {
    /// Throws unless `version` of `apiKey` is in ``supported``: the guard at the top of every
    /// codec's decoder, so a codec called directly with a version it does not know fails
    /// cleanly.
    /// - Throws: ``KafkaDecodingError`` (`invalidValue`) naming the API and version.
    public static func checkSupported(_ apiKey: KafkaAPIKey, version: Int16) throws {
        guard let range = range(for: apiKey), range.contains(version) else {
            throw KafkaDecodingError(
                .invalidValue,
                field: "\(apiKey.name ?? "unknown") v\(version)",
                "version \(version) of \(apiKey) is not supported"
            )
        }
    }

    /// Traps unless `version` of `apiKey` is in ``supported``: encoding an unsupported version
    /// is a bug in the caller.
    static func requireSupported(_ apiKey: KafkaAPIKey, version: Int16) {
        precondition(
            range(for: apiKey)?.contains(version) == true,
            "encoding version \(version) of \(apiKey), which is not supported"
        )
    }
}
