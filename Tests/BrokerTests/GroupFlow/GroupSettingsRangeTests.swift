import BrokerProtocol
import Testing

@testable import Broker

/// The ranges of a group's settings (docs/GROUPS.md, "Settings") at their edges, over the wire: a
/// subscribe creating a group with a value at either end of its range creates it; one step
/// outside is answered `invalidRequest` naming the setting and its range, and creates nothing
/// (below a range starting at 0, -2: -1 is the wire's "not given").
@Suite("group setting ranges")
struct GroupSettingsRangeTests {
    /// One setting: its name in the refusal, its range, and how to ask for a value.
    struct Setting: CustomStringConvertible, Sendable {
        var name: String
        var lower: Int64
        var upper: Int64
        var request: @Sendable (Int64) -> RequestedGroupSettings

        var description: String { name }

        init<T: BinaryInteger>(
            _ name: String,
            _ range: ClosedRange<T>,
            _ request: @escaping @Sendable (Int64) -> RequestedGroupSettings
        ) {
            self.name = name
            lower = Int64(range.lowerBound)
            upper = Int64(range.upperBound)
            self.request = request
        }
    }

    static let settings: [Setting] = [
        Setting("ackTimeoutMs", GroupSettings.ackTimeoutRange) { RequestedGroupSettings(ackTimeoutMilliseconds: $0) },
        Setting("maxDeliveries", GroupSettings.maxDeliveriesRange) { RequestedGroupSettings(maxDeliveries: Int32($0)) },
        Setting("maxUnfinishedPerPartition", GroupSettings.maxUnfinishedRange) {
            RequestedGroupSettings(maxUnfinishedPerPartition: Int32($0))
        },
        Setting("backoffInitialMs", GroupSettings.backoffRange) {
            RequestedGroupSettings(backoffInitialMilliseconds: $0)
        },
        Setting("backoffMultiplierPercent", GroupSettings.backoffMultiplierRange) {
            RequestedGroupSettings(backoffMultiplierPercent: Int32($0))
        },
        Setting("backoffMaxMs", GroupSettings.backoffRange) { RequestedGroupSettings(backoffMaxMilliseconds: $0) },
    ]

    @Test("both ends of the range are taken; one step outside is refused naming the range", arguments: settings)
    func edges(_ setting: Setting) async throws {
        try await withBroker { _, port in
            let member = try await RawMember(port: port)
            try await ProduceFetchTests.create(member.connection, "jobs", partitions: 1)
            for (index, value) in [setting.lower, setting.upper].enumerated() {
                let group = "\(setting.name.lowercased())-in-\(index)"
                let created = try await member.subscribe(
                    group: group,
                    topics: ["jobs"],
                    settings: setting.request(value)
                )
                #expect(created.created, "\(setting.name) \(value)")
            }
            // -1 on the wire means "not given" (the default): a range starting at 0 is left at -2.
            let below = setting.lower - 1 == -1 ? -2 : setting.lower - 1
            for (index, value) in [below, setting.upper + 1].enumerated() {
                let group = "\(setting.name.lowercased())-out-\(index)"
                await #expect("\(setting.name) \(value)") {
                    try await member.subscribe(group: group, topics: ["jobs"], settings: setting.request(value))
                } throws: { error in
                    "\(error)".contains("\(setting.name) \(value) is outside \(setting.lower)-\(setting.upper)")
                }
                // Nothing was created: a later subscribe with the defaults creates the group.
                #expect(try await member.subscribe(group: group, topics: ["jobs"]).created, "\(setting.name) \(value)")
            }
        }
    }
}
