#!/usr/bin/env bash
# Checks, at the system-call level, that brokerd answers `acks=durable` only after an fdatasync
# covered the acknowledged bytes: brokerd runs under strace while MESSAGES producers, one after the
# other, each send one message with --acks durable. For every pwritev/pwrite to a segment's .log
# file, the first write to a socket after it (the produce response) must come after an fdatasync of
# that same file that started after the write and returned 0.
#
# A kill -9 test cannot see a missing fdatasync (the page cache survives a killed process); this can.
# Usage: scripts/check-durable-acks.sh [MESSAGES]   (default 20; needs strace and python3, and the
# debug build: swift build). Exit 0: every ack covered; 1: a violation (printed); 77: strace missing.
set -euo pipefail
cd "$(dirname "$0")/.."
messages="${1:-20}"
bin="${SLUICE_BIN_DIR:-.build/debug}"
if ! command -v strace >/dev/null 2>&1; then
    echo "SKIP: strace is not installed (apt-get install -y strace)" >&2
    exit 77
fi
if ! strace -f -qq -o /dev/null true >/dev/null 2>&1; then
    echo "SKIP: strace cannot trace here (ptrace not permitted in this container?)" >&2
    exit 77
fi
for tool in brokerd producer; do
    [[ -x "$bin/$tool" ]] || { echo "missing $bin/$tool: run swift build first" >&2; exit 2; }
done
work="$(mktemp -d)"
strace_pid=""
brokerd_pid=""
cleanup() {
    # strace ignores SIGTERM while its command runs: stop brokerd itself, then strace ends.
    for pid in $brokerd_pid $strace_pid; do kill -9 "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# -f: every thread (the flush thread is not the event loop's); -y: file paths and socket kinds for
# descriptors; line order is the order of events (an entry line is printed before the call runs, an
# exit line after it returned).
strace -f -y -qq -o "$work/trace" \
    -e trace=pwrite64,pwritev,pwritev2,fdatasync,fsync,write,writev,sendmsg,sendto,sendmmsg \
    "$bin/brokerd" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --data-dir "$work/data" \
    --auto-create-topics 2>"$work/brokerd.log" &
strace_pid=$!
address=""
for _ in $(seq 1 600); do
    [[ -n "$brokerd_pid" ]] || brokerd_pid="$(pgrep -P "$strace_pid" || true)"
    address="$(grep 'broker listening' "$work/brokerd.log" 2>/dev/null | grep -oE '127\.0\.0\.1:[0-9]+' | head -1 || true)"
    [[ -n "$address" ]] && break
    kill -0 "$strace_pid" 2>/dev/null || { cat "$work/brokerd.log" >&2; echo "brokerd exited" >&2; exit 2; }
    sleep 0.1
done
[[ -n "$address" ]] || { echo "brokerd did not start listening within 60 s" >&2; exit 2; }

for i in $(seq 1 "$messages"); do
    "$bin/producer" --broker "$address" --topic durable-check --partition 0 --acks durable "message $i" >/dev/null
done
kill -TERM "$brokerd_pid"
wait "$strace_pid" || true
strace_pid=""
brokerd_pid=""

python3 - "$work/trace" "$messages" <<'PY'
import re, sys

path, messages = sys.argv[1], int(sys.argv[2])
call = re.compile(r'^(\d+)\s+(?:<\.\.\. (\w+) resumed>(.*)|(\w+)\((.*))$')
result = re.compile(r'\)\s+=\s+(-?\d+)')
pending = {}  # pid -> (name, descriptor text, entry line)
events = []   # (name, target, entry line, exit line, result)
lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
for number, line in enumerate(lines):
    match = call.match(line)
    if not match:
        continue
    pid = match.group(1)
    if match.group(2):  # "<... name resumed> ...) = N"
        name, rest = match.group(2), match.group(3)
        if pid not in pending:
            continue
        _, target, entry = pending.pop(pid)
    else:
        name, rest = match.group(4), match.group(5)
        target_match = re.match(r'-?\d+<([^>]*)>', rest)
        target = target_match.group(1) if target_match else ""
        entry = number
        if rest.endswith("<unfinished ...>"):
            pending[pid] = (name, target, entry)
            continue
    status = result.search(rest)
    events.append((name, target, entry, number, int(status.group(1)) if status else None))

def is_socket(target):
    return target.startswith(("socket:", "TCP", "UDP", "UNIX"))

log_writes = [e for e in events if e[0] in ("pwritev", "pwritev2", "pwrite64") and e[1].endswith(".log") and (e[4] or 0) > 0]
socket_writes = sorted(e[2] for e in events if e[0] in ("write", "writev", "sendmsg", "sendto", "sendmmsg") and is_socket(e[1]))
syncs = [e for e in events if e[0] in ("fdatasync", "fsync") and e[4] == 0]
violations = []
for name, target, entry, exit_line, _ in log_writes:
    response = next((line for line in socket_writes if line > exit_line), None)
    if response is None:
        continue  # never answered (nothing acknowledged it)
    if not any(s[1] == target and s[2] > exit_line and s[3] < response for s in syncs):
        violations.append(f"{name} to {target} (trace line {exit_line + 1}) was answered at trace line {response + 1} "
                          "without an fdatasync of that file in between")
if len(log_writes) < messages:
    print(f"FAIL: expected at least {messages} writes to .log files, saw {len(log_writes)} (is the trace complete?)")
    sys.exit(1)
if violations:
    print(f"FAIL: {len(violations)} of {len(log_writes)} acknowledged appends were not covered by an fdatasync:")
    for violation in violations[:10]:
        print("  " + violation)
    sys.exit(1)
print(f"OK: {len(log_writes)} appends to .log files, each covered by an fdatasync of its file before the next "
      f"socket write; {len(syncs)} syncs, {len(socket_writes)} socket writes")
PY
