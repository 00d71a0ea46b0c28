import Glibc
import LogStore
import LogStoreTesting
import Testing

@testable import Broker

/// A dead letter is appended only once the group state log is durable up to the failure marks that
/// decided it: otherwise a power cut could keep the dead letter (its unsynced bytes written back by
/// the system) and lose the marks, and after the restart the message would be delivered again,
/// and could be acknowledged, while it is in the dead-letter topic. Found by
/// `GroupDispatchPowerCutTests` (seeds 208 and 486 of 500, timing-dependent: a dead letter in the
/// topic whose message the reopened state had as delivered once and never failed). Here the state
/// log's `fdatasync` fails, deterministically: the dead letter must not be written.
@Suite("Dead letters wait for the group state log")
struct DeadLetterOrderTests {
    @Test("a dead letter is not written while the failure marks deciding it are not durable")
    func deadLetterWaitsForTheStateLog() async throws {
        let disk = PowerCutDisk()
        defer { disk.tearDown() }
        try await withPowerCutTopics([]) { topics in
            var settings = GroupSettings()
            settings.maxDeliveries = 1
            let node = try await GroupDispatchNode(
                disk: disk,
                settings: settings,
                stateConfiguration: GroupStateStore.Configuration(),
                sourceCount: 3,
                keys: 1,
                topics: topics
            )
            let deliveries = node.dispatch.take(upTo: 1, for: 1, now: 0, wallClock: GroupDispatchNode.epoch)
            try #require(deliveries.count == 1)
            // The state log's next fdatasync fails: the reject's failure marks never become durable.
            let segment =
                GroupDispatchNode.stateDirectory + "/" + GroupStateStore.logDirectoryName + "/"
                + "00000000000000000000.log"
            disk.disk.base.inject(.init(.sync, pathSuffix: segment, errno: EIO, times: Int.max))
            _ = node.dispatch.reject(offset: deliveries[0].offset, by: 1, reason: "poison")
            _ = try node.persist()
            await #expect(throws: (any Error).self, "the dead letter is written although its marks are not durable") {
                _ = try await node.writeDeadLetters(written: { _ in })
            }
            #expect(try await node.deadLetterOffsets().isEmpty, "the dead letter reached its topic first")
            await node.close()
        }
    }
}
