#!/usr/bin/env bash
# Delayed delivery against the brief's targets, every mode of `broker-bench schedule` ROUNDS times on a release
# build (docs/BENCHMARKS.md, "Delayed delivery"):
#   throughput  1,000,000 schedules due within 30 days, then cancelled       (schedules/s, cancels/s)
#   lateness    20,000 due over 10 s with 1,000,000 pending                   (target: p99 <= 10 ms)
#   burst       1,000,000 due at one instant on 8 partitions, produce beside  (target: >= 200,000 msg/s drained)
#   memory      10,000,000 pending in a brokerd of its own, kill -9, restart  (target: RSS <= 512 MB, ready <= 2 s)
# The first three run against one brokerd (fresh data directory, --log-level warning); around each run the
# script reads brokerd's flush counters from /metrics (fdatasync rounds and their time) and, during the burst,
# samples brokerd's threads with `top -H` once a second (files in SCRATCH_DIR). Prints each run's result
# block and JSON line, then the median and range of the main figures.
# MODES (default "throughput lateness burst memory") picks the modes. A run that fails is reported and the
# others go on.
# Usage: [SKIP_BUILD=1] [MODES="burst memory"] scripts/bench-schedule.sh [SCRATCH_DIR] [ROUNDS] [MEMORY_COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${1:-./bench-data}/schedule"
rounds="${2:-3}"
memory_count="${3:-10000000}"
modes="${MODES:-throughput lateness burst memory}"
wants() { [[ " $modes " == *" $1 "* ]]; }
if [ -z "${SKIP_BUILD:-}" ]; then
    for product in brokerd broker-bench; do swift build -c release --product "$product" >/dev/null; done
fi
bin=.build/release
port=17620
b="--broker 127.0.0.1:$port"
broker=""
trap '[ -n "$broker" ] && kill $broker 2>/dev/null || true' EXIT
rm -rf "$scratch" && mkdir -p "$scratch"
results="$scratch/results.jsonl"
: >"$results"
echo "# $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),"\
    "$(free -g | awk '/^Mem:/ {print $2 " GB RAM"}'); $(swift --version 2>/dev/null | head -1)"

flushes() {
    curl -s "127.0.0.1:$((port + 1))/metrics" | awk '
        /^sluice_log_flush_duration_seconds_count/ {c += $2}
        /^sluice_log_flush_duration_seconds_sum/ {s += $2}
        END {printf "%d %.3f", c, s}'
}
# run NAME ARGS...: one broker-bench run, its output kept, its JSON line collected with the flush counters.
run() {
    local name=$1
    shift
    echo "## $name: broker-bench schedule $* (load:$(uptime | sed 's/.*load average://'))"
    local before after
    before=$(flushes)
    "$bin/broker-bench" schedule $b "$@" 2>"$scratch/$name.err" | tee "$scratch/$name.out" ||
        echo "   FAILED: $(grep -v '^…' "$scratch/$name.err" | tail -1)"
    after=$(flushes)
    read -r c0 s0 <<<"$before"
    read -r c1 s1 <<<"$after"
    echo "   brokerd flushes during the run: $((c1 - c0)) rounds, $(echo "$s1 - $s0" | bc) s on the flush thread"
    tail -1 "$scratch/$name.out" | grep '^{' | sed "s/^{/{\"run\":\"$name\",\"flush_rounds\":$((c1 - c0)),/" \
        >>"$results" || true
}

"$bin/brokerd" --data-dir "$scratch/broker" --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$((port + 1)) \
    --log-level warning >>"$scratch/brokerd.log" 2>&1 &
broker=$!
sleep 1
for round in $(seq 1 "$rounds"); do
    wants throughput || break
    run "throughput-$round" --mode throughput --topic tp$round --count 1000000
done
for round in $(seq 1 "$rounds"); do
    wants lateness || break
    # The first round loads the 1,000,000 far-future schedules; the next ones find them there.
    run "lateness-$round" --mode lateness --topic late --pending 1000000 --count 20000 --spread 10s
done
for round in $(seq 1 "$rounds"); do
    wants burst || break
    top -b -H -d 1 -n 150 -p $broker >"$scratch/top-burst-$round.txt" &
    top=$!
    run "burst-$round" --mode burst --topic burst$round --partitions 8 --count 1000000 --lead 30s
    kill $top 2>/dev/null || true
    wait $top 2>/dev/null || true
done
kill -TERM $broker && wait $broker || true
broker=""
for round in $(seq 1 "$rounds"); do
    wants memory || break
    echo "## memory-$round (load:$(uptime | sed 's/.*load average://'))"
    "$bin/broker-bench" schedule --mode memory --count "$memory_count" --port $((port + 10)) \
        --data-dir "$scratch/memory-$round" 2>"$scratch/memory-$round.err" | tee "$scratch/memory-$round.out" ||
        echo "   FAILED: $(grep -v '^…' "$scratch/memory-$round.err" | tail -1)"
    tail -1 "$scratch/memory-$round.out" | grep '^{' | sed "s/^{/{\"run\":\"memory-$round\",/" >>"$results" || true
    rm -rf "$scratch/memory-$round/data"
done

python3 - "$results" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
def show(mode, label, get):
    values = sorted(get(r) for r in runs if r["mode"] == mode)
    values = [v for v in values if v is not None]
    if values:
        print(f"  {label:<52} median {values[(len(values) - 1) // 2]:>12}  range {values[0]} - {values[-1]}")
print("medians:")
show("throughput", "schedules/s", lambda r: r["schedules_per_second"])
show("throughput", "cancels/s", lambda r: r["cancels_per_second"])
show("lateness", "lateness p50 ms", lambda r: r["lateness_ms"]["p50"])
show("lateness", "lateness p99 ms (target <= 10)", lambda r: r["lateness_ms"]["p99"])
show("lateness", "lateness max ms", lambda r: r["lateness_ms"]["max"])
show("burst", "drain msg/s (target >= 200,000)", lambda r: r["drain_per_second"])
show("burst", "first readable after due ms", lambda r: r["first_readable_ms"])
show("burst", "produce p99 ms during the drain", lambda r: r["produce_during_ms"]["p99"])
show("burst", "produce max ms during the drain", lambda r: r["produce_during_ms"]["max"])
show("burst", "produce-to-fetch p99 ms during the drain", lambda r: r["fetch_during_ms"]["p99"])
show("burst", "produce-to-fetch max ms during the drain", lambda r: r["fetch_during_ms"]["max"])
show("burst", "describeTopic max ms during the drain", lambda r: r["describe_during_ms"]["max"])
show("memory", "RSS MB settled with all pending (target <= 512)", lambda r: r["rss_settled_mb"])
show("memory", "peak RSS MB while scheduling", lambda r: r["rss_peak_mb"])
show("memory", "ready ms after kill -9 (target <= 2000)", lambda r: r["restart_ready_ms"])
show("memory", "RSS MB after the restart (5 s)", lambda r: r["rss_after_restart_5s_mb"])
show("memory", "schedules/s while loading", lambda r: r["schedules_per_second"])
PY
