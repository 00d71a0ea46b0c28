#!/usr/bin/env bash
# Measures LogStore beside a plain sequential write on the same disk, in one run.
# Usage: scripts/bench-storage.sh [SCRATCH_DIR] [ROUNDS]
# Prints dd's figure, broker-bench's own sequential-write figure, and every storage scenario,
# ROUNDS times, interleaved so that a noisy neighbour hits both sides alike.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${1:-./bench-data}"
rounds="${2:-3}"
mkdir -p "$scratch"

swift build -c release --product broker-bench >/dev/null
bench=.build/release/broker-bench

echo "# machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -srm)"
echo "# disk: $(df -h "$scratch" | awk 'NR==2 {print $1, $2}')"
echo "# crc32c hardware: $(grep -q sse4_2 /proc/cpuinfo && echo sse4.2 || echo none)"
for round in $(seq 1 "$rounds"); do
    echo "## round $round"
    mkdir -p "$scratch"
    dd if=/dev/zero of="$scratch/dd.bin" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1 | sed 's/^/dd bs=1M count=1024 conv=fdatasync: /'
    rm -f "$scratch/dd.bin"
    "$bench" storage --scenario baseline --directory "$scratch" --bytes $((1 << 30))
    "$bench" storage --scenario append --directory "$scratch" --bytes $((1 << 30))
    "$bench" storage --scenario read --directory "$scratch" --bytes $((1 << 30))
done
"$bench" storage --scenario recovery --directory "$scratch" --recovery-mebibytes 4000
"$bench" storage --scenario recovery --directory "$scratch" --recovery-mebibytes 4000 --drop-caches
