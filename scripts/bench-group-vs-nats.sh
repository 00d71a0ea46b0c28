#!/usr/bin/env bash
# Consumer group with per-message acks: Sluice (`broker-bench group` against a release brokerd) and NATS
# JetStream (a durable pull consumer acknowledging each message, scripts/nats-group-bench) in the same run,
# alternated ROUNDS times so that both see the same machine. Same shape: COUNT messages of 100 bytes over
# 8 partitions (Sluice: 8 partitions, 16-byte keys, ordering key; NATS: one stream over 8 subjects),
# published first, then drained by consumers on their own connections (Sluice: 2 members with prefetch 1000,
# then 4 with prefetch 2000 and a window of 2,000 per partition; NATS: 2 pull subscribers fetching 1,000 at a
# time, max ack pending 8,000, acks with Msg.Ack() and then with Msg.AckSync()).
#
# Needs Debian's nats-server, golang-go and golang-github-nats-io-go-nats-dev (the Go program is built in
# GOPATH mode against them: nothing is downloaded). nats-server runs on 127.0.0.1 with JetStream file
# storage in a fresh directory under SCRATCH_DIR and its default sync settings (nats-server 2.9 writes
# stream and consumer state through the page cache and fsyncs it every 2 minutes: an ack is not on disk
# when it is answered; Sluice answers an ack once it is fdatasync'ed, see docs/GROUPS.md).
# Usage: [SKIP_BUILD=1] scripts/bench-group-vs-nats.sh [SCRATCH_DIR] [ROUNDS] [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${1:-./bench-data}/group-vs-nats"
rounds="${2:-3}"
count="${3:-1000000}"
[ -n "${SKIP_BUILD:-}" ] || swift build -c release >/dev/null
bin=.build/release
rm -rf "$scratch" && mkdir -p "$scratch"
GO111MODULE=off GOPATH=/usr/share/gocode go build -o "$scratch/nats-group-bench" scripts/nats-group-bench/main.go
port=17530
nats_port=17532
broker=""
nats=""
trap '[ -n "$broker" ] && kill $broker 2>/dev/null; [ -n "$nats" ] && kill $nats 2>/dev/null; true' EXIT
cat >"$scratch/nats.conf" <<CONF
listen: 127.0.0.1:$nats_port
jetstream {
  store_dir: "$scratch/nats"
}
CONF
echo "# $(nats-server --version), Go client $(sed -n 's/.*Version *= *"\(.*\)".*/\1/p' \
    /usr/share/gocode/src/github.com/nats-io/nats.go/nats.go | head -1); $(swift --version 2>/dev/null | head -1)"
for round in $(seq 1 "$rounds"); do
    rm -rf "$scratch/broker"
    "$bin/brokerd" --data-dir "$scratch/broker" --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$((port + 1)) \
        --log-level warning &
    broker=$!
    sleep 1
    # The defaults (2 members, prefetch 1000, the group's default window of 1,000 per partition), then more in
    # flight to hide the disk's fdatasync latency (4 members, prefetch 2000, window 2,000 per partition).
    echo "round $round sluice: $("$bin/broker-bench" group --broker 127.0.0.1:$port --topic g$round --partitions 8 \
        --message-size 100 --key-size 16 --count "$count" --consumers 2 --prefetch 1000 --ordering key --json)"
    echo "round $round sluice 4x2000: $("$bin/broker-bench" group --broker 127.0.0.1:$port --topic h$round \
        --partitions 8 --message-size 100 --key-size 16 --count "$count" --consumers 4 --prefetch 2000 \
        --max-unfinished 2000 --ordering key --json)"
    kill -TERM $broker && wait $broker
    broker=""

    rm -rf "$scratch/nats"
    nats-server -c "$scratch/nats.conf" >"$scratch/nats.log" 2>&1 &
    nats=$!
    sleep 1
    for ack in async sync; do
        echo "round $round nats ack=$ack: $("$scratch/nats-group-bench" -server nats://127.0.0.1:$nats_port \
            -count "$count" -size 100 -subjects 8 -consumers 2 -batch 1000 -max-ack-pending 8000 -ack $ack -json)"
    done
    kill -TERM $nats && wait $nats || true
    nats=""
done
