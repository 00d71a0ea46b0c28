import BrokerProtocol
import Foundation
import LogStore
import NIOCore
import NIOPosix
import RecordCodec
import Testing

@testable import Broker

@Suite("Message ids of an idle partition")
struct MessageIDExpiryTests {
    @Test("an idle partition lets go of its expired message ids without another append")
    func idlePartitionExpires() async throws {
        let directory = NSTemporaryDirectory() + "sluice-idle-ids-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let scheduler = FlushScheduler()
        defer { scheduler.shutdown() }
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        var configuration = BrokerConfiguration(dataDirectory: directory, port: 0)
        configuration.duplicateWindowMilliseconds = 200
        let log = try PartitionLog.open(directory: directory + "/0", scheduler: scheduler)
        let partition = Partition(
            topic: "t",
            index: 0,
            log: SendableLog(log),
            state: try Partition.recoverState(from: log, configuration: configuration),
            eventLoop: MultiThreadedEventLoopGroup.singleton.next(),
            configuration: configuration
        )
        let record = Record(
            value: ByteBuffer(string: "v"),
            headers: [RecordHeader(key: ProduceRequest.messageIDHeader, value: ByteBuffer(string: "id"))],
            timestamp: currentTimeMilliseconds()
        )
        // Read the count in the same event-loop turn as the append: no timer can run in between.
        let rememberedAtAppend = try await partition.eventLoop.flatSubmit {
            partition.append(
                RecordBatch(records: [record]).buffer,
                hasMessageIDs: true,
                acks: .written,
                issued: IssuedProducers(idBound: 0, epoch: 0)
            ).map { result in (result.errorCode, partition.messageIDs.count) }
        }.get()
        #expect(rememberedAtAppend == (.none, 1))
        let remembered = { try await partition.eventLoop.submit { partition.messageIDs.count }.get() }
        // Bounded wait: the expiry timer runs about every second here; nothing else touches the partition.
        let deadline = Date().addingTimeInterval(20)
        while try await remembered() > 0, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await remembered() == 0, "the window passed and no append came: the ids are released")
        try await partition.close(on: threadPool).get()
        try await threadPool.shutdownGracefully()
    }
}
