// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Sluice",
    products: [
        .library(name: "RecordCodec", targets: ["RecordCodec"]),
        .library(name: "LogStore", targets: ["LogStore"]),
        .library(name: "BrokerProtocol", targets: ["BrokerProtocol"]),
        .library(name: "KafkaProtocol", targets: ["KafkaProtocol"]),
        .library(name: "Broker", targets: ["Broker"]),
        .library(name: "BrokerClient", targets: ["BrokerClient"]),
        .executable(name: "brokerd", targets: ["brokerd"]),
        .executable(name: "brokerctl", targets: ["brokerctl"]),
        .executable(name: "producer", targets: ["producer"]),
        .executable(name: "consumer", targets: ["consumer"]),
        .executable(name: "broker-bench", targets: ["broker-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        // gzip for compressed Kafka record batches (zlib underneath: docs/ARCHITECTURE.md).
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CRC32C"),
        // Kafka's RecordBatch v2 codec: batches, records, headers, varints, CRC-32C. Shared by the
        // storage engine and the clients (as Kafka keeps common/record apart from its log).
        .target(
            name: "RecordCodec",
            dependencies: [
                "CRC32C",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        // Storage engine: segments, indexes, recovery, retention, flush.
        .target(
            name: "LogStore",
            dependencies: [
                "RecordCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // For tests only: a simulated disk (a FileIO) that can cut the power and inject faults.
        .target(name: "LogStoreTesting", dependencies: ["LogStore"]),
        // Starting and reaping child processes without Foundation's Process (consumer --exec, tests).
        .target(name: "PosixSpawn"),
        // For tests only: child processes with Process's interface, on PosixSpawn.
        .target(name: "ProcessTesting", dependencies: ["PosixSpawn"]),
        // The wire format, shared by the server and the clients.
        .target(name: "BrokerProtocol", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // Kafka's wire protocol: primitives, headers and the request/response codecs of the APIs the
        // Kafka listener serves. Pure codecs, no sockets (docs/KAFKA.md).
        .target(name: "KafkaProtocol", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        // The server.
        .target(
            name: "Broker",
            dependencies: [
                "LogStore",
                "RecordCodec",
                "BrokerProtocol",
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        // The async/await client: producer, consumer, admin.
        .target(
            name: "BrokerClient",
            dependencies: [
                "BrokerProtocol",
                "RecordCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // glibc's malloc statistics (mallinfo2), which the Glibc module does not export: brokerd's
        // sluice_heap_* metrics, to tell a leak from memory the allocator keeps.
        .target(name: "CAllocatorStatistics"),
        .executableTarget(
            name: "brokerd",
            dependencies: [
                "Broker",
                "CAllocatorStatistics",
                "ToolSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The command-line tools' own library: their options, loops, stdin/stdout handling and
        // one-line errors, so that services embedding BrokerClient do not carry them.
        .target(
            name: "ToolSupport",
            dependencies: [
                "BrokerClient",
                "PosixSpawn",
                "RecordCodec",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        .executableTarget(
            name: "brokerctl",
            dependencies: [
                "BrokerClient", "ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "producer",
            dependencies: [
                "BrokerClient", "ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "consumer",
            dependencies: [
                "BrokerClient", "ToolSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "broker-bench",
            dependencies: [
                "LogStore",
                "RecordCodec",
                "BrokerClient",
                "ToolSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The ServiceGroup example of docs/CLIENT.md as a program (run by an end-to-end test).
        .executableTarget(
            name: "OrderServiceExample",
            dependencies: [
                "BrokerClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/OrderService"
        ),
        .testTarget(name: "LogStoreTests", dependencies: ["LogStore", "LogStoreTesting", "RecordCodec"]),
        .testTarget(
            name: "RecordCodecTests",
            dependencies: ["RecordCodec", "CRC32C", "ProcessTesting", .product(name: "NIOCore", package: "swift-nio")],
            exclude: ["Scripts"]  // kafka_codec.py, run by the kafka-python cross-check
        ),
        .testTarget(
            name: "BrokerProtocolTests",
            dependencies: [
                "BrokerProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            exclude: ["Scripts"]  // partitioner_vectors.py generates the murmur2 vectors from kafka-python
        ),
        .testTarget(
            name: "KafkaProtocolTests",
            dependencies: [
                "ProcessTesting",
                "KafkaProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            exclude: ["Scripts"]  // kafka_protocol.py, run by the kafka-python cross-check
        ),
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "ProcessTesting",
                "Broker",
                "BrokerClient",
                "BrokerProtocol",
                "KafkaProtocol",
                "LogStore",
                "LogStoreTesting",
                "RecordCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "BrokerClientTests",
            dependencies: [
                "BrokerClient",
                "BrokerProtocol",
                "RecordCodec",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ToolSupportTests",
            dependencies: [
                "ToolSupport",
                "BrokerClient",
                "LogStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // End-to-end tests run the built executables (they must be built first: `swift build`).
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "ProcessTesting",
                "LogStore", "RecordCodec", "BrokerClient", "BrokerProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Kafka/Scripts"]  // kafka_clients.py, the real Kafka clients the Kafka tests run
        ),
    ]
)
