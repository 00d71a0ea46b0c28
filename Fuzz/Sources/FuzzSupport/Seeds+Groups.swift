import BrokerProtocol
import NIOCore

extension Seeds {
    /// A request and a response body of every consumer-group, schedule and dead-letter API.
    static func groupAndScheduleMessages() -> [(APIKey, [UInt8], [UInt8])] {
        func bytes(_ message: some WireMessage) -> [UInt8] { Array(message.encoded().readableBytesView) }
        let settings = ResolvedGroupSettings(
            ordering: .key,
            ackTimeoutMilliseconds: 30_000,
            maxDeliveries: 5,
            maxUnfinishedPerPartition: 1000,
            backoffInitialMilliseconds: 1000,
            backoffMultiplierPercent: 200,
            backoffMaxMilliseconds: 300_000
        )
        let failure = GroupEntryResult(topic: "t", partition: 1, errorCode: .notDelivered, errorMessage: "no")
        return [
            (
                .subscribe,
                bytes(
                    SubscribeRequest(
                        group: "g",
                        topics: ["t", "u"],
                        startAt: .earliest,
                        settings: RequestedGroupSettings(ordering: .partition, maxDeliveries: 3),
                        initialCredits: 10
                    )
                ),
                bytes(SubscribeResponse(subscriptionID: 1, settings: settings, created: true))
            ),
            (.credit, bytes(CreditRequest(subscriptionID: 1, credits: 5)), bytes(CreditResponse())),
            (
                .ack,
                bytes(
                    AckRequest(subscriptionID: 1, entries: [.init(topic: "t", partition: 0, ranges: [0...3, 5...5])])
                ),
                bytes(AckResponse(entries: [.init(topic: "t", partition: 0), failure]))
            ),
            (
                .nack,
                bytes(
                    NackRequest(
                        subscriptionID: 1,
                        entries: [.init(topic: "t", partition: 0, offset: 4, delayMilliseconds: 100, reason: "busy")]
                    )
                ),
                bytes(NackResponse(entries: [failure]))
            ),
            (
                .reject,
                bytes(
                    RejectRequest(
                        subscriptionID: 1,
                        entries: [.init(topic: "t", partition: 0, offset: 6, reason: "bad")]
                    )
                ),
                bytes(RejectResponse(entries: [.init(topic: "t", partition: 0)]))
            ),
            (
                .extend,
                bytes(ExtendRequest(subscriptionID: 1, entries: [.init(topic: "t", partition: 0, offset: 7)])),
                bytes(ExtendResponse(entries: [failure]))
            ),
            (.leave, bytes(LeaveRequest(subscriptionID: 1)), bytes(LeaveResponse())),
            (
                .listGroups, bytes(ListGroupsRequest()),
                bytes(
                    ListGroupsResponse(groups: [
                        .init(group: "g", kind: .sluice, topics: ["t"], members: 2),
                        .init(group: "k", kind: .kafka, topics: [], members: 0),
                    ])
                )
            ),
            (
                .describeGroup, bytes(DescribeGroupRequest(group: "g")),
                bytes(
                    DescribeGroupResponse(
                        kind: .sluice,
                        settings: settings,
                        members: [.init(memberID: "c1-s1", clientAddress: "127.0.0.1:5", credits: 3, inFlight: 1)],
                        partitions: [
                            .init(
                                topic: "t",
                                partition: 0,
                                committedOffset: 4,
                                logEndOffset: 9,
                                lag: 5,
                                inFlight: 1,
                                unfinished: 2,
                                deadLettered: 1
                            )
                        ]
                    )
                )
            ),
            (
                .resetGroup, bytes(ResetGroupRequest(group: "g", topic: "t", to: .timestamp, value: 1_700_000_000_000)),
                bytes(ResetGroupResponse(partitions: [.init(partition: 0, offset: 3)]))
            ),
            (.deleteGroup, bytes(DeleteGroupRequest(group: "g")), bytes(DeleteGroupResponse())),
            (
                .schedule,
                bytes(
                    ScheduleRequest(
                        acks: .durable,
                        topic: "t",
                        entries: [
                            .init(
                                time: .after(milliseconds: 60_000),
                                scheduleID: "order-timeout:1",
                                key: ByteBuffer(string: "k"),
                                value: ByteBuffer(string: "v"),
                                headers: [.init(key: "h", value: nil)]
                            ),
                            .init(partition: 1, time: .at(epochMilliseconds: 1_700_000_000_000), key: nil, value: nil),
                        ]
                    )
                ),
                bytes(
                    ScheduleResponse(entries: [
                        .init(scheduleID: "order-timeout:1", partition: 0, deliverAt: 5, replaced: true),
                        .failure(.limitExceeded, "full"),
                    ])
                )
            ),
            (
                .cancelSchedule, bytes(CancelScheduleRequest(topic: "t", scheduleIDs: ["order-timeout:1", "x"])),
                bytes(CancelScheduleResponse(entries: [.init(outcome: .cancelled), .init(outcome: .unknown)]))
            ),
            (
                .listSchedules,
                bytes(ListSchedulesRequest(topic: "t", dueBefore: 9, idPrefix: "order", cursor: nil, limit: 10)),
                bytes(
                    ListSchedulesResponse(
                        pending: 1,
                        entries: [
                            .init(scheduleID: "a", partition: 0, deliverAt: 5, producedAt: 1, key: nil, valueBytes: 3)
                        ],
                        cursor: ByteBuffer(bytes: [1, 2])
                    )
                )
            ),
            (
                .redriveDeadLetters, bytes(RedriveDeadLettersRequest(group: "g", topic: "t", limit: 100)),
                bytes(RedriveDeadLettersResponse(redriven: 3))
            ),
        ]
    }

    /// Frames only a stream can carry: a `deliver` push and `brokerStatus` v1 and v2 responses.
    static func pushAndVersionedFrames() -> [String: [UInt8]] {
        var push = ByteBuffer()
        PushFrame(
            apiKey: .deliver,
            version: 0,
            body: DeliverPush(
                subscriptionID: 1,
                topic: "t",
                partition: 0,
                deliveries: [.init(offset: 3, deliveryCount: 1), .init(offset: 4, deliveryCount: 2)],
                records: ByteBuffer(bytes: Array(0..<32))
            ).encoded()
        ).responseFrame.write(into: &push)
        let status = sampleStatus(
            operations: .init(
                groupCount: 1,
                groupLag: 5,
                inFlight: 2,
                redeliveries: 1,
                deadLetters: 1,
                deadLettersHeld: 1,
                pendingSchedules: 4,
                kafkaConnections: 0,
                kafkaGroupCount: 0
            )
        )
        var withLateness = status
        withLateness.scheduleLateness = .init(schedulesFired: 9, totalMilliseconds: 120, maxMilliseconds: 40)
        func statusFrame(_ body: BrokerStatusResponse, version: UInt16) -> [UInt8] {
            var frame = ByteBuffer()
            RequestFrame(
                header: RequestHeader(apiKey: .brokerStatus, apiVersion: version, correlationID: 3),
                body: body.encoded()
            ).write(into: &frame)
            return [0x06] + Array(frame.readableBytesView)
        }
        return [
            "push-deliver": [0x05] + Array(push.readableBytesView),
            "response-brokerStatus-v1": statusFrame(status, version: 1),
            "response-brokerStatus-v2": statusFrame(withLateness, version: 2),
        ]
    }
}
