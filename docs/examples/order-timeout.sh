#!/usr/bin/env bash
# Order timeouts with delayed delivery: every new order schedules a timeout message `order-timeout:<order id>`
# (`producer --delay --schedule-id`); paying an order cancels its timeout (`brokerctl schedules cancel`); the
# timeouts that fire are handled by a consumer group (`consumer --group --exec`) whose handler acts once per
# schedule id, however often a timeout is delivered. docs/examples/order-timeout.md walks through it.
#
# Run from the repository root after `swift build -c release` (or with BIN=.build/debug after `swift build`). It
# starts its own broker on free 127.0.0.1 ports in a temporary directory and stops it at the end. ORDER_TIMEOUT
# (default 3s: the real service would use 30m) is how long an order may stay unpaid.
set -euo pipefail

BIN=${BIN:-.build/release}
ORDER_TIMEOUT=${ORDER_TIMEOUT:-3s}
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
address=
for _ in $(seq 1 300); do
    address=$(sed -n -E '/broker listening/ s/.*127\.0\.0\.1:([0-9]+).*/127.0.0.1:\1/p' "$work/brokerd.log" | head -n 1)
    [ -n "$address" ] && break
    sleep 0.1
done
[ -n "$address" ] || { echo "brokerd did not start:" >&2; cat "$work/brokerd.log" >&2; exit 1; }
export SLUICE_BROKER=$address
echo "== broker on $SLUICE_BROKER"

# The timeout handler: the order id is the message key. Delivery is at least once (a handler that dies before its
# message is acknowledged runs again, a group can be reset), so it acts once per schedule id: `mkdir` of a marker
# named after the id succeeds for exactly one delivery, also with several consumers at once; every other delivery
# of the same id is ignored. (Headers are not passed to --exec handlers; the id is rebuilt from the key with the
# same pattern the order service used, `order-timeout:{key}`.)
cat >"$work/handle-timeout.sh" <<'HANDLER'
#!/bin/sh
id="order-timeout:$SLUICE_KEY"
cat >/dev/null
if mkdir "$SEEN_DIR/$id" 2>/dev/null; then
    echo "$SLUICE_KEY" >>"$TIMED_OUT_FILE"
    echo "timed out: order $SLUICE_KEY cancelled ($id from $SLUICE_TOPIC/$SLUICE_PARTITION@$SLUICE_OFFSET)"
else
    echo "ignored: $id was handled already (delivery $SLUICE_DELIVERY_COUNT, $SLUICE_TOPIC/$SLUICE_PARTITION@$SLUICE_OFFSET)"
fi
HANDLER
chmod +x "$work/handle-timeout.sh"
export SEEN_DIR="$work/seen" TIMED_OUT_FILE="$work/timed-out"
mkdir "$SEEN_DIR"
: >"$TIMED_OUT_FILE"

"$BIN/brokerctl" topics create orders --partitions 2
"$BIN/brokerctl" topics create order-timeouts --partitions 2

orders="1001 1002 1003 1004 1005 1006"
paid="1002 1003 1005"

echo "== the order service creates orders ${orders// /, }; each schedules its timeout $ORDER_TIMEOUT ahead"
for order in $orders; do echo "$order:unpaid: cancel order $order"; done \
    | "$BIN/producer" --topic order-timeouts --key-separator : --delay "$ORDER_TIMEOUT" \
        --schedule-id 'order-timeout:{key}'
for order in $orders; do echo "$order:created"; done | "$BIN/producer" --topic orders --key-separator : >/dev/null

echo "== orders ${paid// /, } are paid: their timeouts are cancelled"
for order in $paid; do echo "$order:paid"; done | "$BIN/producer" --topic orders --key-separator : >/dev/null
ids=()
for order in $paid; do ids+=("order-timeout:$order"); done
"$BIN/brokerctl" schedules cancel order-timeouts "${ids[@]}" | tee "$work/cancels"
cancelled=$(grep -c '^cancelled ' "$work/cancels" || true)
set -- $orders
unpaid=$(($# - cancelled))

echo "== the timeouts still pending"
"$BIN/brokerctl" schedules list order-timeouts

echo "== the timeouts group handles the $unpaid timeouts as they fire"
"$BIN/consumer" --topic order-timeouts --group timeouts --from earliest --exec "$work/handle-timeout.sh" \
    --count "$unpaid"

echo "== a payment that comes too late finds its timeout delivered"
set -- $(cat "$TIMED_OUT_FILE")
"$BIN/brokerctl" schedules cancel order-timeouts "order-timeout:$1"

echo "== at least once: the group is replayed from the start; the handler ignores what it has handled"
"$BIN/brokerctl" groups reset timeouts --topic order-timeouts --to earliest
"$BIN/consumer" --topic order-timeouts --group timeouts --exec "$work/handle-timeout.sh" --until-end

echo "== timed out: $(sort -n "$TIMED_OUT_FILE" | tr '\n' ' ' | sed 's/ $//')"
