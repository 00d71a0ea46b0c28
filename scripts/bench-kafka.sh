#!/usr/bin/env bash
# Kafka clients against Sluice's Kafka listener, beside broker-bench against the native listener,
# in the same run on the same release brokerd (docs/BENCHMARKS.md, "Kafka listener").
# Usage: scripts/bench-kafka.sh [SCRATCH_DIR] [ROUNDS] [COUNT]
# Needs python3 with confluent-kafka 2.x (`python3 -m pip install 'confluent-kafka==2.*'`).
# Builds brokerd and broker-bench (release) unless SKIP_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${1:-./bench-data}"
rounds="${2:-2}"
count="${3:-1000000}"
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --product brokerd >/dev/null
    swift build -c release --product broker-bench >/dev/null
fi
bin=.build/release
port=17520
kport=17522
rm -rf "$scratch/kafka-broker" && mkdir -p "$scratch"
"$bin/brokerd" --data-dir "$scratch/kafka-broker" --listen 127.0.0.1:$port \
    --metrics-listen 127.0.0.1:$((port + 1)) --kafka-listen 127.0.0.1:$kport --auto-create-topics \
    --log-level warning &
broker=$!
trap 'kill $broker 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    if (exec 3<>/dev/tcp/127.0.0.1/$kport) 2>/dev/null; then break; fi
    sleep 0.1
done
echo "# $(uname -r); nproc $(nproc); $(python3 -c 'import confluent_kafka as c; print("confluent-kafka", c.version()[0], "librdkafka", c.libversion()[0])'); $(uptime)"
b="--broker 127.0.0.1:$port"
for round in $(seq 1 "$rounds"); do
    echo "## round $round"
    "$bin/broker-bench" produce $b --topic n1-$round --count "$count" --message-size 100 --key-size 16 --acks written --json
    "$bin/broker-bench" produce $b --topic nd-$round --count "$count" --message-size 100 --key-size 16 --acks durable --json
    "$bin/broker-bench" consume $b --topic n1-$round --count "$count" --json
    python3 scripts/kafka-bench.py produce 127.0.0.1:$kport k1-$round "$count" 1
    python3 scripts/kafka-bench.py produce 127.0.0.1:$kport kd-$round "$count" all
    python3 scripts/kafka-bench.py consume 127.0.0.1:$kport k1-$round "$count"
done
kill -TERM $broker
wait $broker || true
