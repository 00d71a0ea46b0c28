import LogStore
import LogStoreTesting
import NIOCore
import Testing

@testable import Broker

/// A dead letter written again after a restart is answered with its first copy's offset even when
/// the dead-letter log rolled to a new segment after that copy: the message-id window is rebuilt
/// from the last `stateRecoveryBytes` of the log, across segments. It was rebuilt from the active
/// segment only, so a copy in the sealed segment before it was forgotten and the dead letter was
/// written twice (found by `GroupDispatchPowerCutTests`, "every dead letter is in the dead-letter
/// topic exactly once", seed 437).
@Suite("Dead letters written again after a restart, across a segment roll")
struct DeadLetterRestartAfterRollTests {
    @Test("the second write of a dead letter in a sealed segment is a duplicate after a restart")
    func secondWriteIsADuplicate() async throws {
        let disk = PowerCutDisk()
        defer { disk.tearDown() }
        try await withPowerCutTopics([]) { topics in
            func open() async throws -> GroupDispatchNode {
                try await GroupDispatchNode(
                    disk: disk,
                    settings: GroupSettings(),
                    stateConfiguration: GroupStateStore.Configuration(),
                    sourceCount: 0,
                    keys: 1,
                    topics: topics
                )
            }
            func letter(_ offset: Int64) -> DeadLetter {
                DeadLetter(
                    source: GroupDispatchNode.source,
                    offset: offset,
                    record: GroupDispatchNode.record(at: offset),
                    deliveries: DeliveryRecord(
                        deliveryCount: 1,
                        failureCount: 1,
                        firstDeliveredAt: 1,
                        lastDeliveredAt: 1,
                        lastFailureReason: "poison"
                    ),
                    reason: "poison"
                )
            }
            var node = try await open()
            // Enough dead letters for the 4 KiB segments of the dead-letter log to roll.
            var offsets: [Int64] = []
            for offset in Int64(0)..<40 {
                offsets.append(
                    try await node.writer.write(letter(offset), to: node.deadLetters, now: currentTimeMilliseconds())
                )
            }
            let segments = try await node.deadLetters.eventLoop.submit { node.deadLetters.log.segmentBaseOffsets }.get()
            try #require(segments.count > 1, "the dead-letter log rolled")
            // A clean restart: everything written is kept.
            await node.close()
            disk.replace(with: disk.disk.base.cleanRestart())
            node = try await open()
            for offset in Int64(0)..<40 {
                let again = try await node.writer.write(
                    letter(offset),
                    to: node.deadLetters,
                    now: currentTimeMilliseconds()
                )
                #expect(again == offsets[Int(offset)], "the dead letter of \(offset) was written again")
            }
            #expect(try await node.deadLetterOffsets() == Array(0..<40))
            await node.close()
        }
    }
}
