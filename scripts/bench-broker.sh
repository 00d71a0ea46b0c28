#!/usr/bin/env bash
# Produce and fetch throughput against a release brokerd on this machine (clients included).
# Usage: scripts/bench-broker.sh [SCRATCH_DIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${1:-./bench-data}"
rounds="${2:-2}"
swift build -c release >/dev/null
bin=.build/release
port=17499
rm -rf "$scratch/broker" && mkdir -p "$scratch"
"$bin/brokerd" --data-dir "$scratch/broker" --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$((port + 1)) \
    --log-level warning &
broker=$!
trap 'kill $broker 2>/dev/null || true' EXIT
sleep 2
b="--broker 127.0.0.1:$port"
for round in $(seq 1 "$rounds"); do
    echo "## round $round"
    "$bin/broker-bench" produce $b --topic w$round --count 5000000 --message-size 100 --key-size 16 --acks written
    "$bin/broker-bench" produce $b --topic d$round --count 5000000 --message-size 100 --key-size 16 --acks durable
    "$bin/broker-bench" produce $b --topic k$round --count 1000000 --message-size 1024 --key-size 16 --acks durable \
        --batch-bytes 1048576
    "$bin/broker-bench" consume $b --topic w$round --count 5000000
    "$bin/broker-bench" produce $b --topic e$round --count 5000000 --message-size 100 --key-size 16 --acks written \
        --encode-each-batch
    "$bin/broker-bench" produce $b --topic f$round --count 5000000 --message-size 100 --key-size 16 --acks durable \
        --encode-each-batch
done
kill -TERM $broker
wait $broker
