#!/usr/bin/env bash
# A/B: the same broker workloads against two builds, alternated, so that both see the same machine.
# Usage: scripts/bench-ab.sh BASE_TREE NEW_TREE   (each a checkout with a release build: swift build -c release)
set -u
base="${1:?usage: scripts/bench-ab.sh BASE_TREE NEW_TREE}"
new="${2:?usage: scripts/bench-ab.sh BASE_TREE NEW_TREE}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
port=17599
for round in 1 2; do
  for tree in "$base" "$new"; do
    bin=$tree/.build/release
    dir=$scratch/ab; rm -rf "$dir"; mkdir -p "$dir"
    $bin/brokerd --data-dir $dir/broker --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$((port+1)) --log-level warning &
    pid=$!; sleep 2
    b="--broker 127.0.0.1:$port"
    echo "## round $round $tree"
    $bin/broker-bench produce $b --topic e --count 5000000 --message-size 100 --key-size 16 --acks written --encode-each-batch 2>/dev/null | tail -1
    $bin/broker-bench produce $b --topic d --count 5000000 --message-size 100 --key-size 16 --acks durable 2>/dev/null | tail -1
    $bin/broker-bench produce $b --topic k --count 1000000 --message-size 1024 --key-size 16 --acks durable --batch-bytes 1048576 2>/dev/null | tail -1
    $bin/broker-bench consume $b --topic d --count 5000000 2>/dev/null | tail -1
    kill -TERM $pid; wait $pid
  done
done
