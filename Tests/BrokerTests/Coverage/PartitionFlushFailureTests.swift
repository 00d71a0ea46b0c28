import BrokerProtocol
import Foundation
import Glibc
import LogStore
import LogStoreTesting
import NIOCore
import NIOPosix
import RecordCodec
import Testing

@testable import Broker

/// A partition whose log's `fdatasync` fails: the produce that waited for durability is answered
/// `storageError` (never success, never a dropped promise), and so is every produce after it.
@Suite("A failed flush under a partition")
struct PartitionFlushFailureTests {
    static let issued = IssuedProducers(idBound: 0, epoch: 0)

    static func batch(_ value: String) -> ByteBuffer {
        RecordBatch(records: [Record(value: ByteBuffer(string: value), timestamp: currentTimeMilliseconds())]).buffer
    }

    @Test("a durable produce whose fdatasync fails is answered storageError, and later produces are refused")
    func failedSyncAnswersStorageError() async throws {
        let disk = SimulatedDisk()
        let scheduler = FlushScheduler()
        defer { scheduler.shutdown() }
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let configuration = BrokerConfiguration(dataDirectory: "/data", port: 0)
        var logConfiguration = LogConfiguration()
        logConfiguration.flushPolicy = .os
        let log = try PartitionLog.open(
            directory: "/data/t/0",
            configuration: logConfiguration,
            scheduler: scheduler,
            fileIO: disk
        )
        let owned = SendableLog(log)
        let partition = Partition(
            topic: "t",
            index: 0,
            log: SendableLog(log),
            state: try Partition.recoverState(from: log, configuration: configuration),
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            configuration: configuration
        )
        let first = try await partition.append(
            Self.batch("a"),
            hasMessageIDs: false,
            acks: .durable,
            issued: Self.issued
        ).get()
        #expect(first.errorCode == .none, "\(first.errorCode): \(first.errorMessage ?? "")")

        disk.inject(SimulatedDisk.Fault(.sync, pathSuffix: ".log", errno: EIO))
        let failed = try await partition.append(
            Self.batch("b"),
            hasMessageIDs: false,
            acks: .durable,
            issued: Self.issued
        ).get()
        #expect(failed.errorCode == .storageError, "\(failed.errorCode): \(failed.errorMessage ?? "")")
        #expect(failed.errorMessage?.isEmpty == false, "the answer says what failed")

        // The log refuses appends after a failed fdatasync: each produce is answered storageError,
        // whatever its acks, and nothing more is appended.
        let endAfterFailure = try await partition.eventLoop.submit { owned.log.logEndOffset }.get()
        for acks in [Acks.written, .durable] {
            let refused = try await partition.append(
                Self.batch("c"),
                hasMessageIDs: false,
                acks: acks,
                issued: Self.issued
            ).get()
            #expect(refused.errorCode == .storageError, "\(acks): \(refused.errorCode)")
        }
        #expect(try await partition.eventLoop.submit { owned.log.logEndOffset }.get() == endAfterFailure)
        disk.clearFaults()
        // Closing a failed log reports the failure; the partition still lets go of everything.
        _ = try? await partition.close(on: threadPool).get()
        try await threadPool.shutdownGracefully()
    }
}
