#!/usr/bin/env bash
# Runs libFuzzer harnesses for a budget of CPU time each, not wall time: on a shared machine a
# harness given -max_total_time=3600 may get far less than an hour of a core.
# Usage: scripts/fuzz-campaign.sh CPU_SECONDS LOG_DIR [TARGET...]
#   CPU_SECONDS  user + system CPU time each harness gets (3600 = one CPU-hour)
#   LOG_DIR      one <TARGET>.log per harness (libFuzzer's output with its final stats)
#   TARGET       default: all five (FuzzRecordBatch FuzzLogRecovery FuzzFrames FuzzRequests
#                FuzzKafkaRequests)
# Environment: PARALLEL (default 2) harnesses at once; NICE (default 10) their niceness.
# Each harness runs through scripts/fuzz.sh with an unbounded -max_total_time and is stopped with
# SIGINT (libFuzzer then prints its final stats) once /proc/<pid>/stat shows the budget used.
# A harness that stops by itself (a crash, a leak, an out-of-memory) keeps its log and its
# reproducer in fuzz-corpus/artifacts/<TARGET>/; the script's exit status is then 1.
set -euo pipefail
cd "$(dirname "$0")/.."
budget="${1:?CPU seconds}"
logs="${2:?log directory}"
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(FuzzRecordBatch FuzzLogRecovery FuzzFrames FuzzRequests FuzzKafkaRequests)
fi
parallel="${PARALLEL:-2}"
mkdir -p "$logs"
ticks=$(getconf CLK_TCK)

# Build every harness first, so that build time is not charged to the first ones.
for target in "${targets[@]}"; do
    scripts/fuzz.sh "$target" 1 -runs=0 >"$logs/$target.build.log" 2>&1
done

cpu_seconds() { # user + system time of process $1 in seconds, or nothing when it has ended
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    # Fields after the command name (which may hold spaces) start at "state": utime is field 14.
    # shellcheck disable=SC2086
    set -- ${stat##*) }
    if [ "$1" = Z ]; then return 0; fi
    echo $(((${12} + ${13}) / ticks))
}

declare -A running=() # pid -> target
failed=0
# The fuzzers outlive a killed script otherwise (their -max_total_time is unbounded).
stop_all() {
    for pid in "${!running[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
start() {
    local target="$1"
    # exec in fuzz.sh makes the pid below the fuzzer's own.
    nice -n "${NICE:-10}" scripts/fuzz.sh "$target" 1000000 >"$logs/$target.log" 2>&1 &
    running[$!]="$target"
    echo "$(date -u +%H:%M:%S) started $target (pid $!)"
}
reap() {
    local pid="$1" status=0
    wait "$pid" || status=$?
    local target="${running[$pid]}"
    unset "running[$pid]"
    if grep -q "libFuzzer: run interrupted" "$logs/$target.log"; then
        echo "$(date -u +%H:%M:%S) $target used its ${budget} CPU seconds"
    else
        echo "$(date -u +%H:%M:%S) $target stopped by itself (status $status): see $logs/$target.log" >&2
        failed=1
    fi
}

queue=("${targets[@]}")
while [ ${#queue[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
    while [ ${#running[@]} -lt "$parallel" ] && [ ${#queue[@]} -gt 0 ]; do
        start "${queue[0]}"
        queue=("${queue[@]:1}")
    done
    sleep 10
    for pid in "${!running[@]}"; do
        used=$(cpu_seconds "$pid")
        if [ -z "$used" ]; then
            reap "$pid"
        elif [ "$used" -ge "$budget" ]; then
            kill -INT "$pid"
            reap "$pid"
        fi
    done
done
exit "$failed"
