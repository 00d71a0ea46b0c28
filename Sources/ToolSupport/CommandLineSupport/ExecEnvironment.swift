import BrokerClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The environment of a `consumer --exec` handler: the consumer's own, without any `SLUICE_*`
/// variable named here, plus these for the message:
///
/// | variable | value |
/// |---|---|
/// | `SLUICE_TOPIC`, `SLUICE_PARTITION`, `SLUICE_OFFSET` | where the message is |
/// | `SLUICE_KEY` | the key, when it is valid UTF-8 without a NUL byte (may be empty) |
/// | `SLUICE_KEY_BASE64` | the key in base64, when it is not (then `SLUICE_KEY` is unset) |
/// | `SLUICE_DELIVERY_COUNT` | 1 the first time, 2 for the first redelivery, … |
/// | `SLUICE_GROUP` | the consumer group |
/// | `SLUICE_TIMESTAMP` | the record's timestamp, epoch milliseconds |
///
/// A message without a key has neither `SLUICE_KEY` nor `SLUICE_KEY_BASE64`.
enum ExecEnvironment {
    /// The variables set (or unset) per message.
    static let names = [
        "SLUICE_TOPIC", "SLUICE_PARTITION", "SLUICE_OFFSET", "SLUICE_KEY", "SLUICE_KEY_BASE64",
        "SLUICE_DELIVERY_COUNT", "SLUICE_GROUP", "SLUICE_TIMESTAMP",
    ]

    /// The consumer's environment as `NAME=VALUE` byte strings (not necessarily UTF-8), without
    /// the variables of ``names``.
    static func inherited() -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var pointer = environ
        while let entry = pointer.pointee {
            entries.append(
                Array(
                    UnsafeBufferPointer(
                        start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self),
                        count: strlen(entry)
                    )
                )
            )
            pointer += 1
        }
        return inherited(from: entries)
    }

    /// `environment` (`NAME=value` entries) without the variables this tool sets per message.
    static func inherited(from environment: [[UInt8]]) -> [[UInt8]] {
        environment.filter { entry in
            let name = entry.prefix { $0 != UInt8(ascii: "=") }
            return !names.contains { $0.utf8.elementsEqual(name) }
        }
    }

    /// The variables for one delivery of `record`, in the order of ``names``.
    static func variables(
        for record: ConsumerRecord,
        deliveryCount: Int,
        group: String
    ) -> [(name: String, value: String)] {
        var variables: [(name: String, value: String)] = [
            ("SLUICE_TOPIC", record.topic),
            ("SLUICE_PARTITION", "\(record.partition)"),
            ("SLUICE_OFFSET", "\(record.offset)"),
        ]
        if let key = record.key {
            if let text = String(validating: key.readableBytesView, as: UTF8.self), !text.utf8.contains(0) {
                variables.append(("SLUICE_KEY", text))
            } else {
                variables.append(("SLUICE_KEY_BASE64", Base64.encode(key.readableBytesView)))
            }
        }
        variables.append(("SLUICE_DELIVERY_COUNT", "\(deliveryCount)"))
        variables.append(("SLUICE_GROUP", group))
        variables.append(("SLUICE_TIMESTAMP", "\(record.timestamp)"))
        return variables
    }

    /// `inherited` and the variables of `record`'s delivery, as `NAME=VALUE` entries.
    static func entries(
        _ inherited: [[UInt8]],
        for record: ConsumerRecord,
        deliveryCount: Int,
        group: String
    ) -> [[UInt8]] {
        inherited
            + variables(for: record, deliveryCount: deliveryCount, group: group).map {
                Array("\($0.name)=\($0.value)".utf8)
            }
    }
}
