import BrokerProtocol
import NIOCore

/// Samples of the consumer-group messages (API keys 20-31 and 60), added to ``WireSamples`` so that
/// the round-trip, truncation, trailing-byte, UTF-8 and fuzz tests run over them too.
enum GroupWireSamples {
    static let unicode = WireSamples.unicode
    static let records = WireSamples.records

    static let settings = ResolvedGroupSettings(
        ordering: .key,
        ackTimeoutMilliseconds: 30_000,
        maxDeliveries: 5,
        maxUnfinishedPerPartition: 1000,
        backoffInitialMilliseconds: 1000,
        backoffMultiplierPercent: 200,
        backoffMaxMilliseconds: 300_000
    )
    static let extremeSettings = ResolvedGroupSettings(
        ordering: .unordered,
        ackTimeoutMilliseconds: .min,
        maxDeliveries: .max,
        maxUnfinishedPerPartition: .min,
        backoffInitialMilliseconds: .max,
        backoffMultiplierPercent: 0,
        backoffMaxMilliseconds: -1
    )

    static let requests: [MessageSample] = [
        .request("defaults", SubscribeRequest(group: "g", topics: ["t"], initialCredits: 0)),
        .request(
            "every setting, extreme values",
            SubscribeRequest(
                group: unicode,
                topics: [unicode, "", "orders"],
                startAt: .earliest,
                settings: RequestedGroupSettings(
                    ordering: .partition,
                    ackTimeoutMilliseconds: .max,
                    maxDeliveries: .min,
                    maxUnfinishedPerPartition: .max,
                    backoffInitialMilliseconds: .min,
                    backoffMultiplierPercent: 0,
                    backoffMaxMilliseconds: -2
                ),
                initialCredits: .max
            )
        ),
        .request("extreme", CreditRequest(subscriptionID: .max, credits: .max)),
        .request("zero", CreditRequest(subscriptionID: 0, credits: 0)),
        .request(
            "ranges",
            AckRequest(
                subscriptionID: 7,
                entries: [
                    .init(topic: unicode, partition: .max, ranges: [.min ... .min, 0...0, 5...9, .max ... .max]),
                    .init(topic: "", partition: .min, ranges: []),
                ]
            )
        ),
        .request("no entries", AckRequest(subscriptionID: 0, entries: [])),
        .request(
            "delays and reasons",
            NackRequest(
                subscriptionID: .max,
                entries: [
                    .init(topic: unicode, partition: 0, offset: .max, delayMilliseconds: nil, reason: nil),
                    .init(topic: "", partition: .min, offset: .min, delayMilliseconds: 0, reason: ""),
                    .init(topic: "t", partition: .max, offset: 0, delayMilliseconds: .max, reason: unicode),
                ]
            )
        ),
        .request(
            "reasons",
            RejectRequest(
                subscriptionID: 1,
                entries: [
                    .init(topic: unicode, partition: .max, offset: .min, reason: unicode),
                    .init(topic: "", partition: 0, offset: .max, reason: nil),
                ]
            )
        ),
        .request(
            "entries",
            ExtendRequest(
                subscriptionID: 2,
                entries: [
                    .init(topic: unicode, partition: .min, offset: .max), .init(topic: "", partition: 0, offset: 0),
                ]
            )
        ),
        .request("extreme id", LeaveRequest(subscriptionID: .max)),
        .request("empty body", ListGroupsRequest()),
        .request("unicode group", DescribeGroupRequest(group: unicode)),
        .request("empty group", DescribeGroupRequest(group: "")),
        .request("earliest", ResetGroupRequest(group: "g", topic: "t", to: .earliest)),
        .request("timestamp", ResetGroupRequest(group: unicode, topic: unicode, to: .timestamp, value: .min)),
        .request("offset", ResetGroupRequest(group: "", topic: "", to: .offset, value: .max)),
        .request("unicode group", DeleteGroupRequest(group: unicode)),
        .request("all", RedriveDeadLettersRequest(group: "g", topic: "t")),
        .request("limit", RedriveDeadLettersRequest(group: unicode, topic: "", limit: .max)),
    ]

    static let responses: [MessageSample] = [
        .response("created", SubscribeResponse(subscriptionID: 1, settings: settings, created: true)),
        .response("joined", SubscribeResponse(subscriptionID: .max, settings: extremeSettings, created: false)),
        .response("empty body", CreditResponse()),
        .response(
            "successes and failures",
            AckResponse(entries: [
                .init(topic: unicode, partition: .max),
                .init(topic: "", partition: .min, errorCode: .notDelivered, errorMessage: unicode),
                .init(topic: "t", partition: 0, errorCode: ErrorCode(rawValue: .min), errorMessage: ""),
            ])
        ),
        .response("no entries", AckResponse(entries: [])),
        .response(
            "failure",
            NackResponse(entries: [.init(topic: "t", partition: 1, errorCode: .invalidRequest, errorMessage: "delayMs")]
            )
        ),
        .response("success", RejectResponse(entries: [.init(topic: unicode, partition: 3)])),
        .response(
            "failure",
            ExtendResponse(entries: [.init(topic: "", partition: 0, errorCode: .notDelivered, errorMessage: nil)])
        ),
        .response(
            "two offsets",
            DeliverPush(
                subscriptionID: .max,
                topic: unicode,
                partition: .max,
                deliveries: [.init(offset: .min, deliveryCount: 1), .init(offset: .max, deliveryCount: .max)],
                records: records
            )
        ),
        .response("empty body", LeaveResponse()),
        .response(
            "groups",
            ListGroupsResponse(groups: [
                .init(group: "a", kind: .sluice, topics: ["t", unicode], members: 0),
                .init(group: unicode, kind: .kafka, topics: [], members: .max),
                .init(group: "", kind: .sluice, topics: [""], members: .min),
            ])
        ),
        .response("no groups", ListGroupsResponse(groups: [])),
        .response(
            "members and partitions",
            DescribeGroupResponse(
                kind: .sluice,
                settings: settings,
                members: [
                    .init(memberID: "c1-s1", clientAddress: "127.0.0.1:53211", credits: .max, inFlight: 0),
                    .init(memberID: unicode, clientAddress: "", credits: 0, inFlight: .min),
                ],
                partitions: [
                    .init(
                        topic: unicode,
                        partition: .max,
                        committedOffset: .min,
                        logEndOffset: .max,
                        lag: .max,
                        inFlight: .max,
                        unfinished: .min,
                        deadLettered: .max
                    ),
                    .init(
                        topic: "",
                        partition: 0,
                        committedOffset: 0,
                        logEndOffset: 0,
                        lag: 0,
                        inFlight: 0,
                        unfinished: 0,
                        deadLettered: 0
                    ),
                ]
            )
        ),
        .response(
            "kafka, empty",
            DescribeGroupResponse(kind: .kafka, settings: extremeSettings, members: [], partitions: [])
        ),
        .response(
            "partitions",
            ResetGroupResponse(partitions: [.init(partition: 0, offset: 0), .init(partition: .max, offset: .min)])
        ),
        .response("no partitions", ResetGroupResponse(partitions: [])),
        .response("empty body", DeleteGroupResponse()),
        .response("extreme", RedriveDeadLettersResponse(redriven: .min)),
    ]

    /// Every string field set to ``WireSamples/marker``.
    static let markedStrings: [MessageSample] = {
        let marker = WireSamples.marker
        return [
            .request("marked", SubscribeRequest(group: marker, topics: [marker, marker], initialCredits: 1)),
            .request(
                "marked",
                AckRequest(subscriptionID: 1, entries: [.init(topic: marker, partition: 1, ranges: [1...1])])
            ),
            .request(
                "marked",
                NackRequest(
                    subscriptionID: 1,
                    entries: [.init(topic: marker, partition: 1, offset: 1, delayMilliseconds: 1, reason: marker)]
                )
            ),
            .request(
                "marked",
                RejectRequest(
                    subscriptionID: 1,
                    entries: [.init(topic: marker, partition: 1, offset: 1, reason: marker)]
                )
            ),
            .request(
                "marked",
                ExtendRequest(subscriptionID: 1, entries: [.init(topic: marker, partition: 1, offset: 1)])
            ),
            .request("marked", DescribeGroupRequest(group: marker)),
            .request("marked", ResetGroupRequest(group: marker, topic: marker, to: .offset, value: 1)),
            .request("marked", DeleteGroupRequest(group: marker)),
            .request("marked", RedriveDeadLettersRequest(group: marker, topic: marker, limit: 1)),
            .response(
                "marked",
                AckResponse(entries: [
                    .init(topic: marker, partition: 1, errorCode: .notDelivered, errorMessage: marker)
                ])
            ),
            .response(
                "marked",
                NackResponse(entries: [
                    .init(topic: marker, partition: 1, errorCode: .notDelivered, errorMessage: marker)
                ])
            ),
            .response(
                "marked",
                RejectResponse(entries: [
                    .init(topic: marker, partition: 1, errorCode: .notDelivered, errorMessage: marker)
                ])
            ),
            .response(
                "marked",
                ExtendResponse(entries: [
                    .init(topic: marker, partition: 1, errorCode: .notDelivered, errorMessage: marker)
                ])
            ),
            .response(
                "marked",
                DeliverPush(
                    subscriptionID: 1,
                    topic: marker,
                    partition: 1,
                    deliveries: [.init(offset: 1, deliveryCount: 1)],
                    records: ByteBuffer(bytes: [1, 2, 3])
                )
            ),
            .response(
                "marked",
                ListGroupsResponse(groups: [.init(group: marker, kind: .sluice, topics: [marker], members: 1)])
            ),
            .response(
                "marked",
                DescribeGroupResponse(
                    kind: .sluice,
                    settings: settings,
                    members: [.init(memberID: marker, clientAddress: marker, credits: 1, inFlight: 1)],
                    partitions: [
                        .init(
                            topic: marker,
                            partition: 1,
                            committedOffset: 1,
                            logEndOffset: 1,
                            lag: 1,
                            inFlight: 1,
                            unfinished: 1,
                            deadLettered: 1
                        )
                    ]
                )
            ),
        ]
    }()
}
