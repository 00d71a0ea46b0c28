#!/usr/bin/env bash
# A/B of the consumer-group workload: `broker-bench group` (defaults: 8 partitions, 100-byte values, 16-byte keys,
# ordering key, 2 members with prefetch 1000) against two builds, each with its own brokerd and broker-bench,
# alternated so that both see the same machine. Also prints each side's CPU seconds (brokerd, broker-bench).
# Usage: scripts/bench-group-ab.sh BASE_TREE NEW_TREE [ROUNDS] [COUNT]
#        (each tree a checkout with a release build of brokerd and broker-bench: swift build -c release)
set -u
base="${1:?usage: scripts/bench-group-ab.sh BASE_TREE NEW_TREE [ROUNDS] [COUNT]}"
new="${2:?usage: scripts/bench-group-ab.sh BASE_TREE NEW_TREE [ROUNDS] [COUNT]}"
rounds="${3:-3}"
count="${4:-1000000}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
port=17540
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for round in $(seq 1 "$rounds"); do
    for tree in "$base" "$new"; do
        bin=$tree/.build/release
        dir=$scratch/ab
        rm -rf "$dir" && mkdir -p "$dir"
        "$bin/brokerd" --data-dir "$dir/broker" --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$((port + 1)) \
            --log-level warning &
        pid=$!
        sleep 1
        before=$(ticks $pid)
        line=$(/usr/bin/time -f "%U %S" -o "$scratch/time" "$bin/broker-bench" group --broker 127.0.0.1:$port \
            --topic g --count "$count" 2>/dev/null | head -1)
        broker=$(($(ticks $pid) - before))
        client=$(awk '{printf "%.2f", $1 + $2}' "$scratch/time")
        echo "round $round $tree: $line; CPU s: brokerd $(awk -v t=$broker 'BEGIN {printf "%.2f", t / 100}')," \
            "broker-bench $client (its produce phase included)"
        kill -TERM $pid
        wait $pid
    done
done
