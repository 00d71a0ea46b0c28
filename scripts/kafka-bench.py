#!/usr/bin/env python3
"""Produce or consume through Sluice's Kafka listener with confluent-kafka (librdkafka).

Usage:
  kafka-bench.py produce BOOTSTRAP TOPIC COUNT ACKS   # ACKS: 1 or all; 100-byte values, 16-byte keys
  kafka-bench.py consume BOOTSTRAP TOPIC COUNT        # assign every partition from the start, read COUNT

Prints one JSON object: {"mode", "acks", "count", "seconds", "per_second", "mb_per_second"}.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def produce(bootstrap, topic, count, acks):
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "acks": acks,
        "linger.ms": 5,
        "batch.size": 1_000_000,
        "queue.buffering.max.messages": 1_000_000,
        "compression.type": "none",
        "partitioner": "murmur2_random",
    })
    value = b"v" * 100
    failures = []

    def delivered(error, _message):
        if error is not None:
            failures.append(error)

    start = time.monotonic()
    for number in range(count):
        key = b"k%015d" % (number % 100_000)
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.01)
        if number % 10_000 == 0:
            producer.poll(0)
    remaining = producer.flush(120)
    seconds = time.monotonic() - start
    if remaining or failures:
        sys.exit(f"produce failed: {remaining} not delivered, {len(failures)} errors: {failures[:3]}")
    return seconds


def consume(bootstrap, topic, count):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "kafka-bench-unused",
        "enable.auto.commit": False,
        "fetch.max.bytes": 52_428_800,
        "max.partition.fetch.bytes": 10_485_760,
    })
    metadata = consumer.list_topics(topic, timeout=10)
    partitions = sorted(metadata.topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    read = 0
    start = time.monotonic()
    deadline = start + 300
    while read < count and time.monotonic() < deadline:
        for message in consumer.consume(10_000, 1.0):
            if message.error() is None:
                read += 1
    seconds = time.monotonic() - start
    consumer.close()
    if read < count:
        sys.exit(f"consume read {read} of {count} in {seconds:.1f} s")
    return seconds


def main():
    mode, bootstrap, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    acks = sys.argv[5] if mode == "produce" else None
    seconds = produce(bootstrap, topic, count, acks) if mode == "produce" else consume(bootstrap, topic, count)
    print(json.dumps({
        "mode": mode, "acks": acks, "count": count, "seconds": round(seconds, 3),
        "per_second": round(count / seconds), "mb_per_second": round(count * 100 / seconds / 1e6, 1),
    }))


if __name__ == "__main__":
    main()
