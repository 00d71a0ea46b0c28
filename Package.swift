// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Sluice",
    products: [
        .library(name: "LogStore", targets: ["LogStore"]),
        .library(name: "BrokerProtocol", targets: ["BrokerProtocol"]),
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
    ],
    targets: [
        // Storage engine: record batches, segments, indexes, recovery, retention, flush.
        .target(name: "CRC32C"),
        .target(
            name: "LogStore",
            dependencies: [
                "CRC32C",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Later issues fill these in; they hold only what they need to build.
        .target(name: "BrokerProtocol", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        .target(name: "Broker", dependencies: ["LogStore", "BrokerProtocol"]),
        .target(name: "BrokerClient", dependencies: ["BrokerProtocol"]),
        .executableTarget(name: "brokerd", dependencies: ["Broker"]),
        .executableTarget(name: "brokerctl", dependencies: ["BrokerClient"]),
        .executableTarget(name: "producer", dependencies: ["BrokerClient"]),
        .executableTarget(name: "consumer", dependencies: ["BrokerClient"]),
        .executableTarget(
            name: "broker-bench",
            dependencies: [
                "LogStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LogStoreTests",
            dependencies: ["LogStore", "CRC32C"],
            exclude: ["Scripts"]  // kafka_codec.py, run by the kafka-python cross-check
        ),
        // End-to-end tests run the built executables (they must be built first: `swift build`).
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["LogStore", .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)
