#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension DeliveryTime {
    /// At `date` (to the millisecond, rounded down).
    public static func at(_ date: Date) -> DeliveryTime {
        .at(epochMilliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}

extension ScheduledMessage {
    /// When the message is due.
    public var deliveryDate: Date { Date(timeIntervalSince1970: Double(deliverAt) / 1000) }
}
