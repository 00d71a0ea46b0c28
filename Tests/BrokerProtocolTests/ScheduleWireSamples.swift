import BrokerProtocol
import NIOCore

/// Samples of the delayed-delivery messages (API keys 40-42), added to ``WireSamples`` so that the
/// round-trip, truncation, trailing-byte, UTF-8 and fuzz tests run over them too.
enum ScheduleWireSamples {
    static let unicode = WireSamples.unicode
    static let bytes = WireSamples.records
    /// The longest id the decoders accept, of multi-byte characters (1,024 bytes of UTF-8).
    static let longestID = String(repeating: "é", count: ScheduleLimits.maxScheduleIDBytes / 2)

    /// The keys whose request decoders refuse out-of-range values with `invalidRequest`.
    static let apiKeys: Set<APIKey> = [.schedule, .cancelSchedule, .listSchedules]

    static let requests: [MessageSample] = [
        .request(
            "every field, extreme values",
            ScheduleRequest(
                acks: .durable,
                timeoutMilliseconds: .max,
                topic: unicode,
                entries: [
                    .init(
                        partition: .max,
                        time: .at(epochMilliseconds: .max),
                        scheduleID: longestID,
                        timestamp: .min,
                        key: bytes,
                        value: ByteBuffer(),
                        headers: [.init(key: unicode, value: bytes), .init(key: "", value: nil)]
                    ),
                    .init(partition: nil, time: .after(milliseconds: 0), key: nil, value: nil),
                    .init(
                        partition: .min,
                        deliverAt: 5,
                        delayMilliseconds: 6,
                        scheduleID: "a",
                        timestamp: .max,
                        key: ByteBuffer(),
                        value: bytes
                    ),
                    .init(partition: 0, deliverAt: nil, delayMilliseconds: nil),
                    .init(partition: -2, deliverAt: .min, delayMilliseconds: -2),
                ]
            )
        ),
        .request("acks none, no entries", ScheduleRequest(acks: .none, timeoutMilliseconds: 0, topic: "", entries: [])),
        .request(
            "ids",
            CancelScheduleRequest(topic: unicode, scheduleIDs: [longestID, "a", unicode, "order-timeout:1234"])
        ),
        .request("no ids", CancelScheduleRequest(topic: "t", scheduleIDs: [])),
        .request(
            "every filter",
            ListSchedulesRequest(
                topic: unicode,
                dueBefore: .max,
                idPrefix: longestID,
                cursor: ByteBuffer(repeating: 0xAB, count: ScheduleLimits.maxCursorBytes),
                limit: ScheduleLimits.maxListLimit
            )
        ),
        .request(
            "no filter",
            ListSchedulesRequest(topic: "", dueBefore: nil, idPrefix: nil, cursor: nil, limit: 1)
        ),
        .request(
            "empty prefix and cursor, negative due time",
            ListSchedulesRequest(topic: "t", dueBefore: .min, idPrefix: "", cursor: ByteBuffer(), limit: 7)
        ),
    ]

    static let responses: [MessageSample] = [
        .response(
            "mixed results",
            ScheduleResponse(entries: [
                .init(scheduleID: longestID, partition: .max, deliverAt: .max, replaced: true),
                .init(scheduleID: "a", partition: 0, deliverAt: .min),
                .failure(.limitExceeded, unicode),
                .init(
                    errorCode: .invalidRequest,
                    errorMessage: nil,
                    scheduleID: unicode,
                    partition: .min,
                    deliverAt: 0,
                    replaced: true
                ),
            ])
        ),
        .response("no entries", ScheduleResponse(entries: [])),
        .response(
            "every outcome",
            CancelScheduleResponse(entries: [
                .init(outcome: .cancelled),
                .init(outcome: .alreadyDelivered),
                .init(outcome: .unknown),
                .failure(.storageError, unicode),
                .init(outcome: .cancelled, errorCode: ErrorCode(rawValue: .max), errorMessage: ""),
            ])
        ),
        .response("no entries", CancelScheduleResponse(entries: [])),
        .response(
            "a page",
            ListSchedulesResponse(
                pending: .max,
                entries: [
                    .init(
                        scheduleID: longestID,
                        partition: .max,
                        deliverAt: .max,
                        producedAt: .min,
                        key: bytes,
                        valueBytes: .max
                    ),
                    .init(scheduleID: "a", partition: 0, deliverAt: 0, producedAt: 0, key: nil, valueBytes: -1),
                    .init(
                        scheduleID: unicode,
                        partition: .min,
                        deliverAt: .min,
                        producedAt: .max,
                        key: ByteBuffer(),
                        valueBytes: 0
                    ),
                ],
                cursor: ByteBuffer(repeating: 0x01, count: ScheduleLimits.maxCursorBytes)
            )
        ),
        .response("the last page", ListSchedulesResponse(pending: 0, entries: [], cursor: nil)),
        .response("an empty cursor", ListSchedulesResponse(pending: -1, entries: [], cursor: ByteBuffer())),
    ]

    /// Every string field set to ``WireSamples/marker``.
    static let markedStrings: [MessageSample] = {
        let marker = WireSamples.marker
        let header = ScheduleRequest.Header(key: marker, value: nil)
        return [
            .request(
                "marked",
                ScheduleRequest(
                    acks: .written,
                    topic: marker,
                    entries: [
                        .init(
                            time: .after(milliseconds: 1),
                            scheduleID: marker,
                            key: nil,
                            value: nil,
                            headers: [header]
                        )
                    ]
                )
            ),
            .request("marked", CancelScheduleRequest(topic: marker, scheduleIDs: [marker, marker])),
            .request("marked", ListSchedulesRequest(topic: marker, idPrefix: marker, limit: 1)),
            .response(
                "marked",
                ScheduleResponse(entries: [
                    .init(
                        errorCode: .none,
                        errorMessage: marker,
                        scheduleID: marker,
                        partition: 1,
                        deliverAt: 1,
                        replaced: false
                    )
                ])
            ),
            .response("marked", CancelScheduleResponse(entries: [.failure(.storageError, marker)])),
            .response(
                "marked",
                ListSchedulesResponse(
                    pending: 1,
                    entries: [
                        .init(scheduleID: marker, partition: 1, deliverAt: 1, producedAt: 1, key: nil, valueBytes: 1)
                    ],
                    cursor: nil
                )
            ),
        ]
    }()
}
