#!/usr/bin/env python3
"""A kafka-python classic group for KafkaRebalanceCrashTests (needs kafka-python 2.x).

run BOOTSTRAP TOPIC GROUP PROGRESS
    Two members consume and commit after every poll (explicit offsets, commitSync); once six
    commits were answered a third member joins, which starts a rebalance. Every answered commit is
    appended to PROGRESS as "commit PARTITION OFFSET" (flushed before the next poll), and "joining"
    when the third member starts. Runs until killed (at most two minutes).

check BOOTSTRAP TOPIC GROUP PARTITIONS
    Prints as JSON the group's committed offsets, then lets two members rejoin and consume every
    partition to its end, committing as they go; prints the first offset each partition gave after
    the restart and the committed offsets at the end.
"""
import json
import sys
import time


def consumer(bootstrap, topic, group):
    from kafka import KafkaConsumer

    return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                         auto_offset_reset="earliest", api_version_auto_timeout_ms=20_000,
                         session_timeout_ms=10_000, heartbeat_interval_ms=500, max_poll_records=5)


def commit_polled(c, polled):
    """Commits the offsets after the records of `polled`; returns them, or None if refused."""
    from kafka.structs import OffsetAndMetadata

    offsets = {tp: OffsetAndMetadata(records[-1].offset + 1, "", -1) for tp, records in polled.items() if records}
    if not offsets:
        return {}
    try:
        c.commit(offsets)
    except Exception:  # a rebalance in progress, the broker gone: not answered, not recorded
        return None
    return {tp.partition: meta.offset for tp, meta in offsets.items()}


def run(bootstrap, topic, group, progress):
    members = [consumer(bootstrap, topic, group), consumer(bootstrap, topic, group)]
    commits = 0
    joined = False
    deadline = time.time() + 120
    with open(progress, "a") as out:
        while time.time() < deadline:
            for c in members:
                try:
                    polled = c.poll(timeout_ms=100)
                except Exception:
                    continue
                committed = commit_polled(c, polled)
                for partition, offset in (committed or {}).items():
                    out.write(f"commit {partition} {offset}\n")
                    commits += 1
                out.flush()
            if commits >= 6 and not joined:
                members.append(consumer(bootstrap, topic, group))
                joined = True
                out.write("joining\n")
                out.flush()


def check(bootstrap, topic, group, partitions):
    from kafka import KafkaConsumer, TopicPartition

    probe = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                          api_version_auto_timeout_ms=20_000)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    before = {p: probe.committed(tp) for p, tp in enumerate(tps)}
    ends = {tp.partition: offset for tp, offset in probe.end_offsets(tps).items()}
    probe.close()

    members = [consumer(bootstrap, topic, group), consumer(bootstrap, topic, group)]
    first = {}
    done = dict(before)
    deadline = time.time() + 90
    while time.time() < deadline and any((done.get(p) or 0) < ends[p] for p in ends):
        for c in members:
            polled = c.poll(timeout_ms=100)
            for tp, records in polled.items():
                if records:
                    first.setdefault(tp.partition, records[0].offset)
            committed = commit_polled(c, polled)
            for partition, offset in (committed or {}).items():
                done[partition] = offset
    for c in members:
        c.close()
    probe = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                          api_version_auto_timeout_ms=20_000)
    after = {p: probe.committed(tp) for p, tp in enumerate(tps)}
    probe.close()
    return {"before": before, "first": first, "after": after, "ends": ends}


def main():
    command, bootstrap, topic, group = sys.argv[1:5]
    if command == "run":
        run(bootstrap, topic, group, sys.argv[5])
    elif command == "check":
        print(json.dumps(check(bootstrap, topic, group, int(sys.argv[5]))))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
