import BrokerProtocol
import NIOCore

/// Reads the queries of one fetch pass one after the other, in a loop on the connection's event
/// loop: queries that need no read are answered in the loop itself, and a partition read that
/// completes later resumes the loop, so that the work is linear in the number of queries and the
/// stack does not grow with it (a read that has already completed is taken by the running loop,
/// not by a nested call).
final class FetchPassReader {
    let router: RequestRouter
    let queries: [(topic: String, query: FetchRequest.PartitionQuery)]
    let maxBytes: Int
    let eventLoop: any EventLoop
    let promise: EventLoopPromise<RequestRouter.FetchPass>
    private var pass = RequestRouter.FetchPass()
    private var index = 0
    private var isRunning = false
    private var readInline: (Partition, Result<FetchResponse.PartitionData, any Error>)?

    init(
        router: RequestRouter,
        queries: [(topic: String, query: FetchRequest.PartitionQuery)],
        maxBytes: Int,
        eventLoop: any EventLoop
    ) {
        self.router = router
        self.queries = queries
        self.maxBytes = maxBytes
        self.eventLoop = eventLoop
        self.promise = eventLoop.makePromise()
        pass.results.reserveCapacity(queries.count)
    }

    /// Runs the loop until every query is answered or a read is under way.
    func run() {
        eventLoop.preconditionInEventLoop()
        isRunning = true
        defer { isRunning = false }
        while index < queries.count {
            let (topicName, query) = queries[index]
            index += 1
            let partition: Partition
            let read: EventLoopFuture<FetchResponse.PartitionData>
            switch router.fetchStep(topicName, query, pass: pass, maxBytes: maxBytes) {
            case .answer(let data):
                pass.results.append(data)
                continue
            case .read(let readPartition, let limit):
                partition = readPartition
                read = readPartition.read(from: query.offset, maxBytes: limit)
            case .offsetsOnly(let readPartition):
                partition = readPartition
                read = readPartition.offsets(checking: query.offset)
            }
            let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
            read.hop(to: eventLoop).whenComplete { result in
                let reader = loopBound.value
                if reader.isRunning {
                    reader.readInline = (partition, result)
                } else {
                    guard reader.accept(partition, result) else { return }
                    reader.run()
                }
            }
            guard let (partition, result) = readInline else { return }
            readInline = nil
            guard accept(partition, result) else { return }
        }
        promise.succeed(pass)
    }

    /// Adds a read's result; `false` (and the pass failed) if the read failed.
    private func accept(_ partition: Partition, _ result: Result<FetchResponse.PartitionData, any Error>) -> Bool {
        switch result {
        case .success(let data):
            pass.used += data.records.readableBytes
            pass.results.append(data)
            pass.watched.append((partition, data.logEndOffset))
            return true
        case .failure(let error):
            promise.fail(error)
            return false
        }
    }
}

@available(*, unavailable)
extension FetchPassReader: Sendable {}
