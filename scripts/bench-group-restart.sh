#!/usr/bin/env bash
# Restart cost of a consumer group holding ACKED acknowledged and PENDING delivered-but-unacknowledged
# messages: time from starting brokerd until it answers a handshake, and until the group delivers one of
# the pending messages again to a member that joins at once. Each round: a member takes PENDING messages
# and holds them, brokerd is stopped (SIGTERM, then in the next round kill -9), started again, and
# `broker-bench group-wait` measures. Uses the release build (builds it).
# Usage: [SKIP_BUILD=1] scripts/bench-group-restart.sh [SCRATCH_DIR] [ACKED] [PENDING] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
acked="${2:-1000000}"
pending="${3:-10000}"
rounds="${4:-2}"
scratch="${1:-./bench-data}/group-restart-$acked"
[ -n "${SKIP_BUILD:-}" ] || swift build -c release >/dev/null
bin=.build/release
port=17520
b="--broker 127.0.0.1:$port"
broker=""
# start_broker [LOG_LEVEL]: the restarts log at debug level, where the group state store says how many records
# its open replayed.
start_broker() {
    "$bin/brokerd" --data-dir "$scratch/broker" --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$((port + 1)) \
        --log-level "${1:-warning}" >>"$scratch/brokerd.log" 2>&1 &
    broker=$!
}
trap '[ -n "$broker" ] && kill $broker 2>/dev/null || true' EXIT
now_ms() { date +%s%3N; }

rm -rf "$scratch" && mkdir -p "$scratch"
# The baseline: an empty data directory.
started=$(now_ms)
start_broker
result=$("$bin/broker-bench" group-wait $b --timeout 60s)
echo "empty data directory: serving after $(($(echo "$result" | sed 's/.*"serving_ms":\([0-9]*\).*/\1/') - started)) ms"
# The window must hold the pending messages: the producer tool spreads them over the 8 partitions.
echo "## setup: $acked messages acknowledged one by one through the group, then $pending pending"
"$bin/broker-bench" group $b --topic restart --group restart --count "$acked" --max-unfinished 10000 --consumers 2 \
    --json
seq 1 "$pending" | "$bin/producer" $b --topic restart --acks written >/dev/null
for round in $(seq 1 "$rounds"); do
    for signal in TERM KILL; do
        rm -f "$scratch/hold.out"
        "$bin/broker-bench" group-hold $b --topic restart --group restart --count "$pending" >"$scratch/hold.out" &
        holder=$!
        until grep -q holding "$scratch/hold.out" 2>/dev/null; do sleep 0.05; done
        kill -$signal $broker
        { wait $broker; } 2>/dev/null || true
        wait $holder || true
        state=$(du -sk "$scratch/broker/__group_state" | cut -f1)
        started=$(now_ms)
        start_broker debug
        result=$("$bin/broker-bench" group-wait $b --topic restart --group restart --timeout 60s)
        serving=$(echo "$result" | sed 's/.*"serving_ms":\([0-9]*\).*/\1/')
        first=$(echo "$result" | sed 's/.*"first_delivery_ms":\([0-9]*\).*/\1/')
        count=$(echo "$result" | sed 's/.*"delivery_count":\([0-9]*\).*/\1/')
        replayed=$(grep "group state log opened" "$scratch/brokerd.log" | tail -1 | sed 's/.*recordsRead=\([0-9]*\).*/\1/')
        echo "round $round SIG$signal: acked=$acked pending=$pending group state ${state} KiB," \
            "$replayed records replayed: serving after $((serving - started)) ms," \
            "first redelivery after $((first - started)) ms (delivery count $count)"
    done
done
"$bin/brokerctl" $b groups describe restart | head -20
# Control: the same topic data without the group (deleted), so that what the topic logs cost at start-up shows.
"$bin/brokerctl" $b groups delete restart
for signal in TERM KILL; do
    kill -$signal $broker
    { wait $broker; } 2>/dev/null || true
    started=$(now_ms)
    start_broker
    result=$("$bin/broker-bench" group-wait $b --timeout 60s)
    echo "control SIG$signal, no group: serving after" \
        "$(($(echo "$result" | sed 's/.*"serving_ms":\([0-9]*\).*/\1/') - started)) ms"
done
kill -TERM $broker
wait $broker
