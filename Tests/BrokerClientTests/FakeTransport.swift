import BrokerProtocol
import NIOCore
import RecordCodec
import Synchronization

@testable import BrokerClient

/// A broker in memory: answers list-topics, init-producer and produce requests, records every
/// produce request, and can fail the next produce requests with a connection error.
final class FakeTransport: BrokerTransport {
    struct State {
        var topics: [String: Int32]
        var produceRequests: [ProduceRequest] = []
        var unansweredProduces: [ProduceRequest] = []
        var failNextProduces = 0
        var nextOffsets: [Int32: Int64] = [:]
        var producerIDs: Int64 = 100
    }

    let state: Mutex<State>

    init(topics: [String: Int32]) {
        state = Mutex(State(topics: topics))
    }

    var produceRequests: [ProduceRequest] { state.withLock { $0.produceRequests } }

    func failNextProduces(_ count: Int) { state.withLock { $0.failNextProduces = count } }

    var maxFrameBytes: Int? { get async { 1 << 20 } }

    func send<Request: WireMessage, Response: WireMessage>(
        _ request: Request,
        as response: Response.Type,
        timeout: Duration?
    ) async throws -> Response {
        switch request {
        case is ListTopicsRequest:
            let topics = state.withLock { $0.topics }
            return ListTopicsResponse(
                topics: topics.sorted { $0.key < $1.key }.map { .init(topic: $0.key, partitionCount: $0.value) }
            ) as! Response
        case is InitProducerRequest:
            let id = state.withLock { state in
                state.producerIDs += 1
                return state.producerIDs
            }
            return InitProducerResponse(producerID: id, producerEpoch: 0) as! Response
        case let produce as ProduceRequest:
            return try state.withLock { state in
                state.produceRequests.append(produce)
                if state.failNextProduces > 0 {
                    state.failNextProduces -= 1
                    throw ClientError(.connectionClosed, "the fake broker dropped the connection")
                }
                var results: [ProduceResponse.PartitionResult] = []
                for data in produce.partitions {
                    let batch = try RecordBatch(validating: data.records)
                    let base = state.nextOffsets[data.partition, default: 0]
                    state.nextOffsets[data.partition] = base + Int64(batch.recordCount)
                    results.append(
                        .init(
                            partition: data.partition,
                            baseOffset: base,
                            lastOffset: base + Int64(batch.recordCount) - 1
                        )
                    )
                }
                return ProduceResponse(topic: produce.topic, partitions: results) as! Response
            }
        default:
            throw ClientError(.broker(.unsupportedAPI), "the fake broker does not serve \(Request.apiKey)")
        }
    }

    func sendWithoutResponse<Request: WireMessage>(_ request: Request) async throws {
        if let produce = request as? ProduceRequest {
            state.withLock { $0.produceRequests.append(produce) }
        }
    }
}
