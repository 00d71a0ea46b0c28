import BrokerClient
import BrokerProtocol
import Foundation
import LogStore
import Testing

@testable import Broker

/// The store on the real file system, in a broker's data directory: `__group_state` is not a topic.
@Suite("Group state in the data directory")
struct GroupStateDataDirectoryTests {
    @Test("a broker started on a data directory holding __group_state neither lists it nor lets a client create it")
    func notATopic() async throws {
        let dataDirectory = NSTemporaryDirectory() + "sluice-group-state-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let directory = dataDirectory + "/" + GroupStateStore.directoryName
        let scheduler = FlushScheduler()
        defer { scheduler.shutdown() }
        var store = try GroupStateStore.open(directory: directory, flushScheduler: scheduler)
        let partition = GroupPartitionID(group: "orders", topic: "payments", partition: 0)
        try store.append([.groupCreated(group: "orders", GroupDefinition(topics: ["payments"]))])
        let acknowledged = try store.append(
            events: [.reset(committedOffset: 5), .delivered(offsets: [5, 6], at: 1), .acknowledged([5...6])],
            for: partition
        )
        try await store.waitUntilDurable(acknowledged)
        let view = store.currentView
        try store.close()
        #expect(FileManager.default.fileExists(atPath: directory + "/0/00000000000000000000.log"))

        try await withBroker({ $0.dataDirectory = dataDirectory }) { (_: BrokerServer, port: Int) async throws in
            let connection = BrokerConnection(address: BrokerAddress(host: "127.0.0.1", port: port))
            let admin = Admin(transport: connection)
            #expect(try await admin.listTopics().isEmpty)
            await #expect(throws: (any Error).self) {
                try await admin.createTopicIfMissing(GroupStateStore.directoryName, partitions: 1)
            }
            await connection.close()
        }

        store = try GroupStateStore.open(directory: directory, flushScheduler: scheduler)
        #expect(store.currentView == view)
        #expect(store.state(of: partition) == PersistedPartitionState(committedOffset: 7))
        try store.close()
    }
}
