extension KafkaAPIKey {
    /// Throws unless `version` is in `versions`, the range a codec implements (the group and admin codecs state
    /// their own range, independent of what ``KafkaAPIVersions/supported`` advertises).
    /// - Throws: ``KafkaDecodingError`` (`invalidValue`) naming the API and version.
    public func checkCodecVersion(_ version: Int16, in versions: ClosedRange<Int16>) throws {
        guard versions.contains(version) else {
            throw KafkaDecodingError(
                .invalidValue,
                field: "\(name ?? "unknown") v\(version)",
                "version \(version) of \(self) is not implemented (\(versions.lowerBound)-\(versions.upperBound))"
            )
        }
    }

    /// Traps unless `version` is in `versions`: encoding a version a codec does not implement is a bug in the caller.
    func requireCodecVersion(_ version: Int16, in versions: ClosedRange<Int16>) {
        precondition(versions.contains(version), "encoding version \(version) of \(self), not in \(versions)")
    }
}
