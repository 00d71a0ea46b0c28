#!/usr/bin/env bash
# The mixed-load crash suite (Tests/BrokerTests/CrashSuite, docs/TESTING.md "The crash suite") for many rounds:
# the real brokerd under durable produce through both protocols, a Sluice group acking, nacking, rejecting and
# holding messages, a Kafka classic group committing and schedules being created, rescheduled and cancelled, killed
# with kill -9 at a seeded moment of every round (one in five: SIGTERM), restarted and checked. CI runs 20 rounds.
#
# Usage: scripts/crash-suite.sh [ROUNDS] [SEED] [LOG]   (defaults: 1000, 1, ./crash-suite.log)
# SKIP_BUILD=1 uses the debug build already there. The test binary and brokerd are copied to a temporary directory
# first, so a long run is not disturbed by builds meanwhile. A summary line is printed every 50 rounds and at the end;
# on a finding the test prints the seed, the round and what broke, and the command that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-1000}"
seed="${2:-1}"
log="${3:-./crash-suite.log}"
[[ -n "${SKIP_BUILD:-}" ]] || swift build --build-tests
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
cp .build/debug/SluicePackageTests.xctest .build/debug/brokerd "$bin/"
start=$(date +%s)
set +e
SLUICE_CRASH_SEED="$seed" SLUICE_CRASH_ROUNDS="$rounds" \
    "$bin/SluicePackageTests.xctest" --testing-library swift-testing --filter CrashSuiteTests 2>&1 |
    grep --line-buffered -v '↳' | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "crash suite: seed $seed, $rounds rounds, exit $status after $(($(date +%s) - start)) s" | tee -a "$log"
exit "$status"
