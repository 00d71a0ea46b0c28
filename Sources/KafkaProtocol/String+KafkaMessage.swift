extension String {
    /// The most UTF-8 bytes a Kafka STRING holds (its INT16 length).
    public static let kafkaStringMaxBytes = Int(Int16.max)

    /// The string cut to fit a Kafka STRING: unchanged if it is at most 32,767 UTF-8 bytes, else
    /// cut between Unicode scalars and ended with "…" within that size.
    ///
    /// Error messages are written through this (``ByteBuffer/writeKafkaNullableMessage(_:flexible:)``)
    /// because a broker's message may quote client input (a topic name of 32,767 bytes, a
    /// record's key) and must never trap the encoder.
    public var truncatedForKafka: String {
        guard utf8.count > Self.kafkaStringMaxBytes else { return self }
        let ellipsis = "…"
        let budget = Self.kafkaStringMaxBytes - ellipsis.utf8.count
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in unicodeScalars {
            let size = String(scalar).utf8.count
            if bytes + size > budget { break }
            kept.append(scalar)
            bytes += size
        }
        return String(kept) + ellipsis
    }
}
