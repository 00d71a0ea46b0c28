#!/usr/bin/env bash
# Soak: MINUTES of mixed load against one brokerd while its resident memory, C heap (live and held by malloc,
# from /metrics: sluice_heap_*), open descriptors, threads and sockets are sampled every SAMPLE seconds; then
# a plot (SVG) and a summary of each series (second and last quarter of the run). A leak shows as a series
# that keeps climbing; flat series are what the broker promises.
#
# The load, all at once, each in a loop until the end:
#   - durable produce with keys on 4 partitions (`broker-bench produce`, a new connection each round);
#   - a Sluice consumer group through `consumer --group --exec`: 2 messages in 50 fail (nack, delivered again),
#     1 in 50 is rejected (dead-lettered), the rest acknowledged (one shell per message);
#   - schedules: `producer --delay 3s` (durable), fired into their topic while new ones come in;
#   - Kafka clients (kafka-python 2, if installed): produce with acks=all and a classic group committing offsets;
#   - `brokerctl status` and `brokerctl groups describe` every 2 s (connection churn, admin reads).
#
# Usage: scripts/soak.sh [MINUTES] [OUTPUT_DIR] [SAMPLE_SECONDS]   (defaults: 30, ./soak-out, 5)
# Needs release builds: swift build -c release --product brokerd (and consumer, producer, broker-bench, brokerctl).
# Writes OUTPUT_DIR/samples.csv, OUTPUT_DIR/soak.svg, OUTPUT_DIR/summary.txt, OUTPUT_DIR/cycles.md (scripts/soak-cycles.py)
# and the broker's log.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-30}"
out="${2:-./soak-out}"
sample="${3:-5}"
bin="${SLUICE_BIN_DIR:-.build/release}"
for tool in brokerd consumer producer broker-bench brokerctl; do
    [[ -x "$bin/$tool" ]] || { echo "missing $bin/$tool: swift build -c release --product $tool" >&2; exit 2; }
done
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -n "${broker_pid:-}" ]] && kill -9 "$broker_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$bin/brokerd" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 \
    --data-dir "$work/data" --auto-create-topics >"$out/brokerd.log" 2>&1 &
broker_pid=$!
address="" kafka="" metrics=""
for _ in $(seq 1 600); do
    address="$(grep 'broker listening' "$out/brokerd.log" | grep -oE '127\.0\.0\.1:[0-9]+' | head -1 || true)"
    kafka="$(grep 'Kafka listener accepting' "$out/brokerd.log" | grep -oE '127\.0\.0\.1:[0-9]+' | head -1 || true)"
    metrics="$(grep 'metrics and health listening' "$out/brokerd.log" | grep -oE '127\.0\.0\.1:[0-9]+' | head -1 || true)"
    [[ -n "$address" && -n "$kafka" && -n "$metrics" ]] && break
    kill -0 "$broker_pid" 2>/dev/null || { cat "$out/brokerd.log" >&2; exit 2; }
    sleep 0.1
done
[[ -n "$address" ]] || { echo "brokerd did not start listening" >&2; exit 2; }
export SLUICE_BROKER="$address"
end=$(($(date +%s) + minutes * 60))
running() { [[ $(date +%s) -lt $end ]]; }
"$bin/brokerctl" topics create events --partitions 4 >/dev/null
"$bin/brokerctl" topics create timers --partitions 2 >/dev/null

# Durable produce with keys, a new connection each round.
(while running; do
    "$bin/broker-bench" produce --topic events --partitions 4 --count 2000 --message-size 200 --acks durable >/dev/null 2>&1 || true
    sleep 1
done) &
pids+=($!)

# A consumer group acknowledging, failing and rejecting, restarted if it ever exits.
handler='case $(($(od -An -N1 -tu1 /dev/urandom) % 50)) in 0) exit 100 ;; 1 | 2) exit 3 ;; esac'
(while running; do
    "$bin/consumer" --topic events --group workers --exec "$handler" --concurrency 8 --max-deliveries 3 \
        >/dev/null 2>>"$work/consumer.err" &
    consumer=$!
    while running && kill -0 "$consumer" 2>/dev/null; do sleep 1; done
    kill "$consumer" 2>/dev/null || true
    wait "$consumer" 2>/dev/null || true
done) &
pids+=($!)

# Schedules due in 3 s, 200 a round.
(while running; do
    seq 1 200 | sed 's/^/timer-/' | "$bin/producer" --topic timers --delay 3s >/dev/null 2>&1 || true
    sleep 1
done) &
pids+=($!)

# Kafka clients, if kafka-python is there.
if [[ -n "$kafka" ]] && python3 -c 'import kafka' 2>/dev/null; then
    script=Tests/EndToEndTests/Kafka/Scripts/kafka_clients.py
    (while running; do
        python3 "$script" kp-produce "$kafka" ktopic all 1000 >/dev/null 2>&1 || true
        python3 "$script" kp-group "$kafka" ktopic kgroup 1000 >/dev/null 2>&1 || true
    done) &
    pids+=($!)
else
    echo "soak: no Kafka load (kafka-python 2 not installed, or no Kafka listener address in the log)" >&2
fi

# Admin reads.
(while running; do
    "$bin/brokerctl" status >/dev/null 2>&1 || true
    "$bin/brokerctl" groups describe workers >/dev/null 2>&1 || true
    sleep 2
done) &
pids+=($!)

# Sampling.
# The C heap from /metrics (glibc mallinfo2): live objects (allocated) against what malloc holds, to
# tell a leak from memory the allocator keeps. Empty without curl or on another C library.
# The scheduler's memtable (entries, in thousands) is the largest structure that grows until a flush
# (at 262,144 entries, docs/SCHEDULES.md) and starts again: the heap follows it.
heap() {
    command -v curl >/dev/null 2>&1 || { echo ",,"; return; }
    curl -s --max-time 5 "http://$metrics/metrics" 2>/dev/null | awk '
        /^sluice_heap_allocated_bytes / { allocated = $2 / 1048576 }
        /^sluice_heap_held_bytes / { held = $2 / 1048576 }
        /^sluice_schedule_memtable_entries / { memtable = $2 / 1000 }
        END { if (held != "") printf "%.1f,%.1f,%.1f", allocated, held, memtable; else printf ",," }' || echo ",,"
}
echo "seconds,rss_mb,fds,threads,sockets,heap_allocated_mb,heap_held_mb,schedule_memtable_k" >"$out/samples.csv"
start=$(date +%s)
while running; do
    kill -0 "$broker_pid" 2>/dev/null || { echo "brokerd died; see $out/brokerd.log" >&2; exit 1; }
    # Descriptors come and go while they are listed (find and ls then complain): never fatal here.
    rss=$(awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$broker_pid/status" || true)
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$broker_pid/status" || true)
    fds=$( (ls "/proc/$broker_pid/fd" 2>/dev/null || true) | wc -l)
    sockets=$( (find "/proc/$broker_pid/fd" -lname 'socket:*' 2>/dev/null || true) | wc -l)
    echo "$(($(date +%s) - start)),$rss,$fds,$threads,$sockets,$(heap)" >>"$out/samples.csv"
    sleep "$sample"
done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
pids=()
"$bin/brokerctl" groups describe workers >"$out/group-workers.txt" 2>&1 || true
"$bin/brokerctl" topics describe events >"$out/topic-events.txt" 2>&1 || true
cp "$work/consumer.err" "$out/consumer.err" 2>/dev/null || true

python3 - "$out" "$minutes" <<'PY'
import csv, sys

out, minutes = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(f"{out}/samples.csv")))
series = [("rss_mb", "RSS (MB)"), ("heap_allocated_mb", "C heap allocated: live objects (MiB)"),
          ("heap_held_mb", "C heap held by malloc (MiB)"),
          ("schedule_memtable_k", "schedule memtable (thousands of entries)"), ("fds", "open descriptors"),
          ("threads", "threads"),
          ("sockets", "sockets")]
# Columns with no value (no curl, not glibc) are left out; samples missing one value are skipped for it.
series = [(key, label) for key, label in series if any(r.get(key) for r in rows)]
t = [float(r["seconds"]) for r in rows]
lines = [f"soak: {minutes} min, {len(rows)} samples"]
width, height, pad = 720, 150, 40
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height * len(series)}" '
       'font-family="sans-serif" font-size="11">']
for i, (key, label) in enumerate(series):
    tv = [(float(r["seconds"]), float(r[key])) for r in rows if r.get(key)]
    t = [x for x, _ in tv]
    v = [y for _, y in tv]
    q = max(1, len(v) // 4)
    first, last = sum(v[q:2 * q]) / len(v[q:2 * q]) if len(v) >= 2 * q else v[0], sum(v[-q:]) / q
    lines.append(f"{key}: min {min(v):g}, max {max(v):g}, second-quarter mean {first:.1f}, "
                 f"last-quarter mean {last:.1f} ({(last - first) / first * 100 if first else 0:+.1f}%)")
    top, low = max(v) * 1.1 or 1, 0
    y0 = i * height
    span = max(t[-1], 1)
    points = " ".join(f"{pad + (x / span) * (width - 2 * pad):.1f},"
                      f"{y0 + height - 25 - (y - low) / (top - low) * (height - 45):.1f}" for x, y in zip(t, v))
    svg.append(f'<text x="{pad}" y="{y0 + 14}">{label}: {min(v):g} to {max(v):g}</text>')
    svg.append(f'<line x1="{pad}" y1="{y0 + height - 25}" x2="{width - pad}" y2="{y0 + height - 25}" stroke="#999"/>')
    svg.append(f'<text x="{width - pad}" y="{y0 + height - 10}" text-anchor="end">{span / 60:.0f} min</text>')
    svg.append(f'<text x="4" y="{y0 + 30}">{top:.0f}</text><text x="4" y="{y0 + height - 25}">0</text>')
    svg.append(f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{points}"/>')
svg.append("</svg>")
open(f"{out}/soak.svg", "w").write("\n".join(svg))
open(f"{out}/summary.txt", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
# The heap by scheduler flush cycle (does it come back to the same low after each flush?).
if python3 scripts/soak-cycles.py "$out/samples.csv" >"$out/cycles.md" 2>/dev/null; then cat "$out/cycles.md"; fi
