/// Keeps `producer`'s output positional: line N is message N. An acknowledged message prints
/// `TOPIC/PARTITION@OFFSET`; a message that failed while a later one was acknowledged (on another
/// partition) prints ``notAcknowledged`` in its place; failures after the last acknowledged
/// message print nothing (the error line on standard error lists them).
struct AcknowledgementLines: Sendable {
    /// The line of a failed message followed by acknowledged ones.
    static let notAcknowledged = "not acknowledged"

    private var failuresSinceLastLine = 0

    /// Notes a failed message; its line is written only if a later message is acknowledged.
    mutating func failed() {
        failuresSinceLastLine += 1
    }

    /// The lines to print for an acknowledged message: a placeholder for each failure before it,
    /// then `line`.
    mutating func acknowledged(_ line: String) -> [String] {
        defer { failuresSinceLastLine = 0 }
        return Array(repeating: Self.notAcknowledged, count: failuresSinceLastLine) + [line]
    }
}
