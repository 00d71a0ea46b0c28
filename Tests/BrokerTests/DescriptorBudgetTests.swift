import Broker
import BrokerProtocol
import Testing

@Suite("The descriptor budget and the limits that protect it")
struct DescriptorBudgetTests {
    @Test("the defaults fit a large limit unchanged")
    func defaultsFitLargeLimit() throws {
        let budget = try DescriptorBudget.fit(BrokerLimits(), descriptorLimit: 1 << 20)
        #expect(budget.limits == BrokerLimits())
        #expect(!budget.isOverCommitted)
    }

    @Test("the defaults are lowered to fit the usual 1,024 descriptors", arguments: [1024, 4096, 20_000])
    func defaultsLowered(descriptorLimit: Int) throws {
        let budget = try DescriptorBudget.fit(BrokerLimits(), descriptorLimit: descriptorLimit)
        #expect(DescriptorBudget.descriptorsNeeded(for: BrokerLimits()) > descriptorLimit)
        #expect(DescriptorBudget.descriptorsNeeded(for: budget.limits) <= descriptorLimit)
        #expect(budget.limits.maxConnections < BrokerLimits().maxConnections)
        #expect(budget.limits.maxPartitionsTotal < BrokerLimits().maxPartitionsTotal)
        #expect(budget.limits.maxTopics <= budget.limits.maxPartitionsTotal)
        #expect(!budget.isOverCommitted)
        #expect(budget.decisions.contains { $0.contains("maxConnections lowered") })
    }

    @Test("explicit limits are kept; if they cannot fit, the budget says so")
    func explicitKept() throws {
        var limits = BrokerLimits()
        limits.maxConnections = 5000
        let budget = try DescriptorBudget.fit(limits, descriptorLimit: 1024, keeping: [.connections])
        #expect(budget.limits.maxConnections == 5000)
        #expect(budget.isOverCommitted)
        #expect(budget.decisions.last?.contains("Too many open files") == true)

        limits.maxConnections = 100
        let fitting = try DescriptorBudget.fit(limits, descriptorLimit: 1024, keeping: [.connections])
        #expect(fitting.limits.maxConnections == 100)
        #expect(!fitting.isOverCommitted)
        #expect(fitting.limits.maxPartitionsTotal == (1024 - DescriptorBudget.reservedDescriptors - 100) / 4)
    }

    @Test("a descriptor limit too small for any broker is refused with a clear message")
    func tooSmall() {
        #expect(throws: BrokerError.self) { try DescriptorBudget.fit(BrokerLimits(), descriptorLimit: 100) }
    }

    @Test("maxPartitionsTotal is enforced across topics, for creation and growth")
    func totalPartitions() async throws {
        try await withBroker({ $0.limits.maxPartitionsTotal = 6 }) { _, port in
            let connection = try await TestConnection(port: port)
            try await ProduceFetchTests.create(connection, "a", partitions: 4)
            let refused = try await connection.call(
                CreateTopicRequest(topic: "b", partitionCount: 3),
                as: CreateTopicResponse.self
            )
            #expect(refused.result.errorCode == .limitExceeded)
            #expect(refused.result.errorMessage?.contains("maxPartitionsTotal (6)") == true)
            try await ProduceFetchTests.create(connection, "b", partitions: 2)
            let grown = try await connection.call(
                AddPartitionsRequest(topic: "a", partitionCount: 5),
                as: AddPartitionsResponse.self
            )
            #expect(grown.result.errorCode == .limitExceeded)
            let listed = try await connection.call(ListTopicsRequest(), as: ListTopicsResponse.self)
            #expect(listed.topics.map(\.partitionCount) == [4, 2])
        }
    }
}
