import BrokerProtocol
import NIOCore

extension RequestRouter {
    /// Gathers the ``OperationsSnapshot``: each group described as `groups describe` does (one hop
    /// to its loop and one per partition), the scheduler's figures (one hop), the Kafka counts. For
    /// scrapes and status requests, not for hot paths.
    func operationsSnapshot() async throws -> OperationsSnapshot {
        var snapshot = OperationsSnapshot()
        snapshot.kafkaConnections = statistics.kafkaConnectionCount
        if let scheduler = schedules.withLockedValue({ $0 })?.current {
            let (pending, memtableEntries, statistics) = try await scheduler.loop.submit {
                (scheduler.pendingTotal, scheduler.memtableEntryCount, scheduler.statistics)
            }.get()
            snapshot.pendingSchedules = pending
            snapshot.scheduleMemtableEntries = Int64(memtableEntries)
            snapshot.schedulesFired = Int64(statistics.fired)
            snapshot.scheduleLatenessTotalMilliseconds = statistics.latenessTotalMilliseconds
            snapshot.scheduleLatenessMaxMilliseconds = statistics.latenessMaxMilliseconds
        }
        guard let groups = groupManager.withLockedValue({ $0 }), let store = groups.store else { return snapshot }
        for (name, definition) in store.currentView.groups.sorted(by: { $0.key < $1.key }) {
            let description: DescribeGroupResponse
            do {
                description = try await groups.describeGroup(name)
            } catch let error as BrokerError where error.code == .unknownGroup {
                continue  // deleted meanwhile
            }
            var row = OperationsSnapshot.GroupRow(group: name, isKafka: definition.kind == .kafkaClassic)
            for partition in description.partitions {
                snapshot.partitions.append(
                    .init(
                        group: name,
                        topic: partition.topic,
                        partition: partition.partition,
                        lag: partition.lag,
                        inFlight: Int64(partition.inFlight),
                        deadLettersHeld: partition.deadLettered
                    )
                )
                row.inFlight += Int64(partition.inFlight)
            }
            if let runtime = groups.runtime(named: name) {
                (row.redeliveries, row.deadLetters) = try await runtime.loop.submit {
                    (runtime.metrics.redeliveries, runtime.metrics.deadLetters)
                }.get()
            }
            snapshot.groups.append(row)
        }
        return snapshot
    }
}
