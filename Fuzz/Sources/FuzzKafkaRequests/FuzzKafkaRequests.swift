import FuzzSupport

/// libFuzzer's entry point: one input is one Kafka request frame (see ``KafkaRequestHarness``).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    KafkaRequestHarness.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Called once by libFuzzer before the first input: writes the seed corpus when asked to.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutableRawPointer) -> CInt {
    Seeds.writeIfRequested(Seeds.kafkaRequests)
    return 0
}

/// The entry point SwiftPM's link points `main` at (see `runFuzzerDriver`): runs libFuzzer.
@_cdecl("FuzzKafkaRequests_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzerDriver(argc: argc, argv: argv, fuzz)
}
