#!/usr/bin/env bash
# The issue-2 target: appending 1 MiB batches with the `durable` flush policy against a plain
# sequential write (dd bs=1M conv=fdatasync) on the same disk, alternated ROUNDS times so that
# both see the same conditions. Each run writes a fresh 1 GiB file that is deleted afterwards.
# Usage: scripts/bench-durable-vs-dd.sh [SCRATCH_DIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${1:-./bench-data}"
rounds="${2:-5}"
swift build -c release --product broker-bench >/dev/null
bench=.build/release/broker-bench
for round in $(seq 1 "$rounds"); do
    mkdir -p "$scratch"
    dd if=/dev/zero of="$scratch/dd.bin" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1 | sed "s/^/round $round dd: /"
    rm -f "$scratch/dd.bin"
    "$bench" storage --scenario append --record-sizes 1024 --flush durable --directory "$scratch" \
        --bytes $((1 << 30)) | sed "s/^/round $round /"
done
