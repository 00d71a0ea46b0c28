#!/usr/bin/env python3
"""The soak's memory by scheduler flush cycle: is the heap back where it was after each flush?

The scheduler's memtable (`schedule_memtable_k` in the soak's samples.csv) is the largest structure that grows
with a steady schedule load and falls back when it is written out as runs (docs/SCHEDULES.md). A leak shows as the
heap after each flush climbing from cycle to cycle; bounded structures show the same low after every flush.

Usage: scripts/soak-cycles.py OUTPUT_DIR/samples.csv
Prints one row per cycle (markdown): where it starts, the memtable's peak, and the live heap, held heap and RSS
at their lowest (just after the flush that starts the cycle, as a rule) and highest within it.
"""
import csv
import sys


def number(row, key):
    value = row.get(key) or ""
    return float(value) if value else None


rows = [r for r in csv.DictReader(open(sys.argv[1])) if number(r, "schedule_memtable_k") is not None]
if not rows:
    sys.exit("no schedule_memtable_k samples (an older samples.csv, or no curl)")
# A flush: the memtable falls to less than half of what the previous sample held.
starts = [0] + [
    i for i in range(1, len(rows))
    if number(rows[i], "schedule_memtable_k") < 0.5 * number(rows[i - 1], "schedule_memtable_k")
]
print("| cycle | from minute | memtable peak (thousands) | live heap lowest / highest (MiB) "
      "| held heap lowest / highest (MiB) | RSS lowest / highest (MB) |")
print("|---:|---:|---:|---:|---:|---:|")
for n, start in enumerate(starts):
    end = starts[n + 1] if n + 1 < len(starts) else len(rows)
    cycle = rows[start:end]

    def pair(key):
        values = [number(r, key) for r in cycle if number(r, key) is not None]
        return f"{min(values):.1f} / {max(values):.1f}"

    peak = max(number(r, "schedule_memtable_k") for r in cycle)
    minute = float(cycle[0]["seconds"]) / 60
    print(f"| {n} | {minute:.1f} | {peak:.1f} | {pair('heap_allocated_mb')} | {pair('heap_held_mb')} "
          f"| {pair('rss_mb')} |")
