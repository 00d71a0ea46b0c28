// swift-tools-version:6.0
// libFuzzer harnesses for the storage engine and the wire protocol, modelled on swift-protobuf's FuzzTesting package.
// Build (see docs/FUZZING.md, or just run scripts/fuzz.sh):
//   swift build -c debug --scratch-path ../.build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product FuzzRecordBatch
import PackageDescription

let package = Package(
    name: "SluiceFuzz",
    dependencies: [
        .package(name: "Sluice", path: "..")
    ],
    targets: [
        // The harness bodies and the seed writer, shared by the fuzzers.
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "RecordCodec", package: "Sluice"),
                .product(name: "LogStore", package: "Sluice"),
                .product(name: "BrokerProtocol", package: "Sluice"),
                .product(name: "KafkaProtocol", package: "Sluice"),
            ]
        ),
        // Each executable defines `LLVMFuzzerTestOneInput` and no `main`: libFuzzer supplies it.
        .executableTarget(name: "FuzzRecordBatch", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzLogRecovery", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzFrames", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzRequests", dependencies: ["FuzzSupport"]),
        .executableTarget(name: "FuzzKafkaRequests", dependencies: ["FuzzSupport"]),
    ]
)
