#!/usr/bin/env bash
# A queue of jobs handled by a consumer group with `consumer --group --exec`: one job keeps failing and becomes a
# dead letter, which is read with `consumer` like any topic, then sent back to the group with `brokerctl dlq
# redrive` once the handler is fixed. docs/examples/jobs-and-dead-letters.md walks through it.
#
# Run from the repository root after `swift build -c release` (or with BIN=.build/debug after `swift build`). It
# starts its own broker on free 127.0.0.1 ports in a temporary directory and stops it at the end.
set -euo pipefail

BIN=${BIN:-.build/release}
for tool in brokerd brokerctl producer consumer; do
    [ -x "$BIN/$tool" ] || { echo "no $BIN/$tool: run 'swift build -c release' first (or set BIN)" >&2; exit 1; }
done
BIN=$(cd "$BIN" && pwd)
work=$(mktemp -d)
broker_pid=
cleanup() {
    if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# The broker, on ports the system picks; its log says where it listens.
"$BIN/brokerd" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --data-dir "$work/data" 2>"$work/brokerd.log" &
broker_pid=$!
for _ in $(seq 1 300); do
    address=$(sed -n -E '/broker listening/ s/.*127\.0\.0\.1:([0-9]+).*/127.0.0.1:\1/p' "$work/brokerd.log" | head -n 1)
    [ -n "$address" ] && break
    sleep 0.1
done
[ -n "$address" ] || { echo "brokerd did not start:" >&2; cat "$work/brokerd.log" >&2; exit 1; }
export SLUICE_BROKER=$address
echo "== broker on $SLUICE_BROKER"

# The job handler: the job is on standard input, SLUICE_* say where it came from. Exit 0 acknowledges the job;
# any other status is a failed delivery (tried again after the group's backoff); exit 100 would dead-letter it
# at once. Jobs that mention "corrupt" fail until the file $work/fixed exists.
cat >"$work/handle-job.sh" <<'HANDLER'
#!/bin/sh
job=$(cat)
case "$job" in
*corrupt*)
    if [ ! -e "$FIXED_FLAG" ]; then
        echo "failed: $job (delivery $SLUICE_DELIVERY_COUNT)" >&2
        exit 1
    fi
    ;;
esac
echo "done: $job (key $SLUICE_KEY, from $SLUICE_TOPIC/$SLUICE_PARTITION@$SLUICE_OFFSET, delivery $SLUICE_DELIVERY_COUNT)"
HANDLER
chmod +x "$work/handle-job.sh"
export FIXED_FLAG="$work/fixed"

echo "== four jobs, keyed by job id"
"$BIN/brokerctl" topics create jobs --partitions 2
printf 'job-1:resize photo 1\njob-2:send email 2\njob-3:import corrupt file 3\njob-4:resize photo 4\n' \
    | "$BIN/producer" --topic jobs --key-separator :

echo "== the workers group handles them; job-3 fails twice (--max-deliveries 2) and becomes a dead letter"
"$BIN/consumer" --topic jobs --group workers --from earliest --max-deliveries 2 \
    --exec "$work/handle-job.sh" --until-end

echo "== the dead letter, read like any topic: the job as it was, plus sluice.dlq.* headers"
"$BIN/consumer" --topic dlq.workers.jobs --until-end --format json
"$BIN/brokerctl" groups describe workers

echo "== the handler is fixed; the dead letter goes back to the workers group, and only to it"
touch "$FIXED_FLAG"
"$BIN/brokerctl" dlq redrive workers --topic jobs
"$BIN/consumer" --topic jobs --group workers --exec "$work/handle-job.sh" --until-end
"$BIN/brokerctl" groups describe workers
