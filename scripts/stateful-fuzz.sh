#!/usr/bin/env bash
# Runs the stateful fuzzer (Tests/BrokerTests/StatefulFuzz, docs/FUZZING.md "Stateful fuzzing")
# for many seeds and steps: valid native and Kafka requests with hurtful values against an
# embedded broker, its invariants checked after every step.
# Usage: scripts/stateful-fuzz.sh [SEEDS] [STEPS] [FIRST_SEED]
#   SEEDS       how many seeds per test (default 20)
#   STEPS       steps per seed (default 500)
#   FIRST_SEED  the first seed (default: random); seeds are FIRST_SEED, FIRST_SEED+1, ...
# Environment: CONFIGURATION=debug (default) or release; TESTS=native, both or all (default all).
# A finding prints its seed, its step and the command that replays it, and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-20}"
steps="${2:-500}"
first="${3:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
configuration="${CONFIGURATION:-debug}"
case "${TESTS:-all}" in
native) filter="StatefulFuzzTests/nativeProtocolHoldsItsInvariants" ;;
both) filter="StatefulFuzzTests/bothProtocolsHoldTheirInvariants" ;;
all) filter="StatefulFuzzTests" ;;
*) echo "TESTS is native, both or all" >&2; exit 2 ;;
esac

swift build --build-tests -c "$configuration" >&2
log=$(mktemp /tmp/sluice-stateful-fuzz.XXXXXX)
echo "stateful fuzz: seeds $first..$((first + seeds - 1)), $steps steps each, $configuration build, log $log"
started=$(date +%s)
status=0
SLUICE_STATEFUZZ_RESOURCES=1 SLUICE_STATEFUZZ_SEED="$first" SLUICE_STATEFUZZ_SEEDS="$seeds" SLUICE_STATEFUZZ_STEPS="$steps" \
    swift test --skip-build -c "$configuration" --filter "$filter" >"$log" 2>&1 || status=$?
elapsed=$(($(date +%s) - started))
grep -E "^stateful-fuzz " "$log" || true
if [ "$status" -ne 0 ]; then
    grep -E -A50 "stateful fuzz \(" "$log" | head -80 || tail -40 "$log"
fi
runs=$(grep -c -E "^stateful-fuzz " "$log" || true)
requests=$(grep -E "^stateful-fuzz " "$log" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) ~ /^requests/) sum += $i } END { print sum + 0 }')
steps=$(grep -E "^stateful-fuzz " "$log" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) ~ /^steps/) sum += $i } END { print sum + 0 }')
echo "stateful fuzz: $runs seed runs passed, $steps steps, $requests requests, ${elapsed} s, exit $status"
exit "$status"
