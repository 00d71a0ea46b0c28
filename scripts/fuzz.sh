#!/usr/bin/env bash
# Builds and runs one libFuzzer harness of the Fuzz/ package.
# Usage: scripts/fuzz.sh [TARGET] [SECONDS] [extra libFuzzer flags...]
#   TARGET   FuzzRecordBatch (default), FuzzLogRecovery, FuzzFrames, FuzzRequests or FuzzKafkaRequests
#   SECONDS  -max_total_time, default 60
# The working corpus grows in fuzz-corpus/<TARGET>/ (git-ignored), seeded from the committed
# Fuzz/Corpus/<TARGET>/, which the harness itself rewrites first (SLUICE_FUZZ_WRITE_SEEDS).
# Crashes land in fuzz-corpus/artifacts/<TARGET>/; reproduce one with
#   .build-fuzz/debug/<TARGET> fuzz-corpus/artifacts/<TARGET>/crash-...
# Environment: FUZZ_JOBS (default 1) runs that many fuzzing processes (-fork).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-FuzzRecordBatch}"
seconds="${2:-60}"
shift $(($# < 2 ? $# : 2))
case "$target" in
FuzzRecordBatch | FuzzLogRecovery | FuzzFrames | FuzzRequests | FuzzKafkaRequests) ;;
*)
    echo "unknown target $target (FuzzRecordBatch, FuzzLogRecovery, FuzzFrames, FuzzRequests or FuzzKafkaRequests)" >&2
    exit 2
    ;;
esac

# -parse-as-library applies to every module, which is harmless for libraries; SwiftPM's
# `main=<Target>_main` link rename is handled in the harness (see Fuzz/Sources/FuzzSupport/FuzzDriver.swift).
(cd Fuzz && swift build -c debug --scratch-path ../.build-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product "$target" 2>&1 |
    grep -v "Cannot export local symbol" >&2)
binary=.build-fuzz/debug/$target

seeds=Fuzz/Corpus/$target
corpus=fuzz-corpus/$target
artifacts=fuzz-corpus/artifacts/$target/
mkdir -p "$seeds" "$corpus" "$artifacts"
SLUICE_FUZZ_WRITE_SEEDS="$seeds" "$binary"

# libFuzzer reports traps itself (with a stack from the sanitizer); the Swift backtracer would
# spend half a minute symbolicating first.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"
# Request bodies are not capped by a small frame limit: let inputs grow to reach long arrays.
max_len=4096
if [ "$target" = FuzzRequests ] || [ "$target" = FuzzKafkaRequests ]; then max_len=65536; fi
jobs=()
if [ "${FUZZ_JOBS:-1}" -gt 1 ]; then jobs=(-fork="$FUZZ_JOBS"); fi
exec "$binary" "$corpus" "$seeds" \
    -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts" -print_final_stats=1 "${jobs[@]}" "$@"
