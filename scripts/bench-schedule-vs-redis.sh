#!/usr/bin/env bash
# Delayed delivery against the usual Redis delay queue (a sorted set), in the same run on the same machine,
# alternated ROUNDS times:
#   Redis 7: redis-server on a free 127.0.0.1 port, `--appendonly yes --appendfsync everysec`, in a fresh
#     directory; `redis-benchmark -P 100 -c 8 -n COUNT -r 1000000000 --csv ZADD delayq __rand_int__
#     order:__rand_int__` (ZADD of distinct members, pipelined), then COUNT members `order:<n>` with random
#     scores added to another sorted set with `redis-cli --pipe` and INFO memory read before and after:
#     used_memory per entry (and used_memory_rss per entry).
#   Sluice: a release brokerd in a fresh directory; `producer --topic T --delay 30m --acks durable` fed COUNT
#     lines on standard input (timed: schedules/s through the tool, one durable schedule request per message,
#     64 in flight), and brokerd's VmRSS before and after (5 s after, to let its flush settle): RSS per
#     pending schedule.
# Prints one line per measurement and a comparison table per round, then the medians.
# The issue's bar: `producer --delay` (durable) at least half as fast as pipelined ZADD, and less broker
# memory per pending schedule than Redis per entry.
#
# Needs redis-server and redis-tools: installed with `apt-get install -y redis-server redis-tools` only if
# redis-server is missing (run as root). Uses the release build (builds brokerd and producer unless SKIP_BUILD).
# Usage: [SKIP_BUILD=1] scripts/bench-schedule-vs-redis.sh [SCRATCH_DIR] [ROUNDS] [COUNT]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${1:-./bench-data}/schedule-vs-redis"
rounds="${2:-3}"
count="${3:-1000000}"
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    echo "# installing redis-server and redis-tools (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-tools >/dev/null
fi
if [ -z "${SKIP_BUILD:-}" ]; then
    swift build -c release --product brokerd >/dev/null
    swift build -c release --product producer >/dev/null
fi
bin=.build/release
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
now_ns() { date +%s%N; }
redis=""
broker=""
trap '[ -n "$redis" ] && kill $redis 2>/dev/null; [ -n "$broker" ] && kill $broker 2>/dev/null; true' EXIT
rm -rf "$scratch" && mkdir -p "$scratch"
echo "# $(redis-server --version | head -1); $(swift --version 2>/dev/null | head -1); nproc $(nproc); $(uptime)"

# The members of the memory fill: COUNT ZADDs in the Redis protocol, written once.
python3 - "$count" >"$scratch/zadd.resp" <<'PY'
import random, sys
count = int(sys.argv[1])
rng = random.Random(7)
out = sys.stdout
for n in range(count):
    score = str(rng.randrange(1_000_000_000))
    member = f"order:{n}"
    out.write(f"*4\r\n$4\r\nZADD\r\n$5\r\nfillq\r\n${len(score)}\r\n{score}\r\n${len(member)}\r\n{member}\r\n")
PY

results="$scratch/results.txt"
: >"$results"
for round in $(seq 1 "$rounds"); do
    # --- Redis
    rdir="$scratch/redis-$round"
    mkdir -p "$rdir"
    rport=$(free_port)
    redis-server --port "$rport" --bind 127.0.0.1 --dir "$rdir" --appendonly yes --appendfsync everysec --save "" \
        --daemonize no >"$rdir/redis.log" 2>&1 &
    redis=$!
    until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.05; done
    zadd_csv=$(redis-benchmark -p "$rport" -P 100 -c 8 -n "$count" -r 1000000000 --csv \
        ZADD delayq __rand_int__ order:__rand_int__ | tail -1)
    zadd_rps=$(echo "$zadd_csv" | awk -F, '{gsub(/"/, "", $2); print int($2)}')
    used_before=$(redis-cli -p "$rport" info memory | awk -F: '/^used_memory:/ {print $2+0}')
    rss_before=$(redis-cli -p "$rport" info memory | awk -F: '/^used_memory_rss:/ {print $2+0}')
    redis-cli -p "$rport" --pipe <"$scratch/zadd.resp" >"$rdir/pipe.out"
    members=$(redis-cli -p "$rport" zcard fillq)
    used_after=$(redis-cli -p "$rport" info memory | awk -F: '/^used_memory:/ {print $2+0}')
    rss_after=$(redis-cli -p "$rport" info memory | awk -F: '/^used_memory_rss:/ {print $2+0}')
    redis_bytes=$(((used_after - used_before) / members))
    redis_rss_bytes=$(((rss_after - rss_before) / members))
    redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1 || true
    wait $redis 2>/dev/null || true
    redis=""
    echo "round $round redis: ZADD pipelined $zadd_rps/s (csv: $zadd_csv); $members members in fillq:" \
        "used_memory +$((used_after - used_before)) B = $redis_bytes B/entry," \
        "used_memory_rss +$((rss_after - rss_before)) B = $redis_rss_bytes B/entry"

    # --- Sluice
    bport=$(free_port)
    mport=$(free_port)
    bdir="$scratch/sluice-$round"
    "$bin/brokerd" --data-dir "$bdir/data" --listen "127.0.0.1:$bport" --metrics-listen "127.0.0.1:$mport" \
        --log-level warning >"$bdir.log" 2>&1 &
    broker=$!
    until "$bin/brokerctl" --broker "127.0.0.1:$bport" topics list >/dev/null 2>&1; do sleep 0.05; done
    "$bin/brokerctl" --broker "127.0.0.1:$bport" topics create delayq --partitions 1 >/dev/null
    sleep 1
    sluice_before=$(rss_kb $broker)
    started=$(now_ns)
    lines=$(seq 1 "$count" | "$bin/producer" --broker "127.0.0.1:$bport" --topic delayq --delay 30m --acks durable |
        grep -c '^scheduled ')
    ended=$(now_ns)
    sluice_loaded=$(rss_kb $broker)
    sleep 5
    sluice_after=$(rss_kb $broker)
    sluice_rps=$((count * 1000000000 / (ended - started)))
    sluice_bytes=$(((sluice_after - sluice_before) * 1024 / count))
    kill -TERM $broker && wait $broker 2>/dev/null || true
    broker=""
    echo "round $round sluice: producer --delay 30m --acks durable: $lines scheduled in" \
        "$(((ended - started) / 1000000)) ms = $sluice_rps/s; brokerd VmRSS ${sluice_before} kB ->" \
        "${sluice_loaded} kB -> ${sluice_after} kB 5 s later = $sluice_bytes B/pending"
    [ "$lines" -eq "$count" ] || echo "round $round sluice: ONLY $lines of $count scheduled" >&2

    echo "$round $zadd_rps $sluice_rps $redis_bytes $redis_rss_bytes $sluice_bytes" >>"$results"
    printf '%-44s %14s %14s %s\n' "round $round, $count entries" "Redis 7" "Sluice" "bar"
    printf '%-44s %14s %14s %s\n' "schedules/s (ZADD -P100 -c8 | producer)" "$zadd_rps" "$sluice_rps" \
        "Sluice >= half of Redis: $([ $((sluice_rps * 2)) -ge "$zadd_rps" ] && echo yes || echo NO)"
    printf '%-44s %14s %14s %s\n' "memory B/pending (used_memory | VmRSS)" "$redis_bytes" "$sluice_bytes" \
        "Sluice < Redis: $([ "$sluice_bytes" -lt "$redis_bytes" ] && echo yes || echo NO)"
    printf '%-44s %14s %14s\n' "memory B/pending (used_memory_rss | VmRSS)" "$redis_rss_bytes" "$sluice_bytes"
done

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)] " (range " v[1] "-" v[NR] ")"}'; }
echo "medians over $rounds rounds:"
echo "  Redis ZADD pipelined/s:         $(awk '{print $2}' "$results" | median)"
echo "  Sluice producer --delay/s:      $(awk '{print $3}' "$results" | median)"
echo "  Redis used_memory B/entry:      $(awk '{print $4}' "$results" | median)"
echo "  Redis used_memory_rss B/entry:  $(awk '{print $5}' "$results" | median)"
echo "  Sluice VmRSS B/pending:         $(awk '{print $6}' "$results" | median)"
