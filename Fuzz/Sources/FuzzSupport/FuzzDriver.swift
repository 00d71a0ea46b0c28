/// The signature of `LLVMFuzzerTestOneInput`.
public typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

/// libFuzzer's library entry point (`FuzzerInterface.h`): parses libFuzzer's flags from `argv`
/// and runs the fuzzing loop, exactly as libFuzzer's own `main` does.
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: FuzzCallback
) -> CInt

/// Runs libFuzzer's driver.
///
/// SwiftPM links every Linux executable with `--defsym main=<Target>_main` (it renames entry
/// points so that tests can link executables), which fails when the target, built with
/// `-parse-as-library`, has no entry point. Each fuzzer therefore defines `<Target>_main` and
/// hands over to libFuzzer here; the binary takes the usual libFuzzer flags and corpus paths.
public func runFuzzerDriver(
    argc: CInt,
    argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ callback: FuzzCallback
) -> CInt {
    var argc = argc
    var argv = argv
    return llvmFuzzerRunDriver(&argc, &argv, callback)
}
