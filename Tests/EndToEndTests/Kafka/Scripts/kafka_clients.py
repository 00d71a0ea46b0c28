"""Real Kafka clients against Sluice's Kafka listener, for Tests/EndToEndTests/Kafka.

Usage: kafka_clients.py COMMAND BOOTSTRAP TOPIC [ARGS...]; prints one JSON document on stdout.

  kp-produce TOPIC ACKS N [C]  kafka-python producer (acks 0, 1 or all; compression C, default none): N messages with key
                               key-<i>, value value-<i>, header h=<i>, timestamp 1700000000000+i.
                               Prints [{"partition", "offset", "murmur2"}] (offset -1 for acks 0;
                               murmur2 = kafka-python's murmur2 partition for the key).
  kp-consume TOPIC N           kafka-python consumer with assign + seek_to_beginning on every
                               partition; prints the first N messages it reads.
  ck-produce TOPIC N           confluent-kafka idempotent producer, partitioner murmur2_random,
                               same messages as kp-produce.
  ck-consume TOPIC N           confluent-kafka consumer with assign from the beginning.
  kp-group TOPIC GROUP N       kafka-python consumer in group GROUP (subscribe): reads N messages,
                               commits them, closes; prints what it read.
  ck-group TOPIC GROUP N       the same with confluent-kafka.
  kp-rebalance TOPIC GROUP     two kafka-python consumers of GROUP: the first alone, then both (a rebalance
                               splits the partitions), then the second leaves (the first gets them
                               all back); prints {"alone", "first", "second", "after_leave"}.
  kp-admin TOPIC N            kafka-python KafkaAdminClient: creates TOPIC with N partitions and
                               retention.ms 3600000, describes its configs, lists topics, deletes
                               it; prints {"created", "configs", "listed", "after_delete"}.

Messages are printed as {"partition", "offset", "key", "value", "headers": [[k, v]],
"timestamp"}, keys and values decoded as UTF-8. Every client call is bounded by a timeout.
"""

import json
import sys
import time

BASE_TIMESTAMP = 1_700_000_000_000


def message(i):
    return (f"key-{i}".encode(), f"value-{i}".encode(), [("h", str(i).encode())], BASE_TIMESTAMP + i)


def text(data):
    return None if data is None else data.decode()


def kp_produce(bootstrap, topic, acks, count, compression=None):
    from kafka import KafkaProducer
    from kafka.partitioner.default import murmur2

    producer = KafkaProducer(
        bootstrap_servers=bootstrap,
        acks=int(acks) if acks in ("0", "1") else "all",
        compression_type=compression,
        request_timeout_ms=20_000,
        api_version_auto_timeout_ms=20_000,
    )
    partitions = sorted(producer.partitions_for(topic))
    futures = []
    for i in range(count):
        key, value, headers, timestamp = message(i)
        futures.append((key, producer.send(topic, key=key, value=value, headers=headers, timestamp_ms=timestamp)))
    producer.flush(30)
    if acks == "0":
        # kafka-python 2.3 queues a request that expects no response without writing it: the bytes
        # go out with the connection's next request. A metadata refresh is that request.
        producer._metadata.request_update()
        producer._sender.wakeup()
        deadline = time.time() + 20
        while producer._metadata.need_update and time.time() < deadline:
            time.sleep(0.05)
    results = []
    for key, future in futures:
        metadata = future.get(timeout=30)
        expected = (murmur2(key) & 0x7FFFFFFF) % len(partitions)
        results.append({"partition": metadata.partition, "offset": metadata.offset, "murmur2": expected})
    producer.close(10)
    return results


def kp_consume(bootstrap, topic, count):
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=20_000,
        api_version_auto_timeout_ms=20_000,
    )
    deadline = time.time() + 30
    partitions = None
    while not partitions and time.time() < deadline:
        partitions = consumer.partitions_for_topic(topic)
    consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
    consumer.seek_to_beginning()
    messages = []
    for record in consumer:
        messages.append(
            {
                "partition": record.partition,
                "offset": record.offset,
                "key": text(record.key),
                "value": text(record.value),
                "headers": [[k, text(v)] for k, v in record.headers],
                "timestamp": record.timestamp,
            }
        )
        if len(messages) >= count:
            break
    consumer.close()
    return messages


def ck_produce(bootstrap, topic, count):
    from confluent_kafka import Producer

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "partitioner": "murmur2_random",
            "message.timeout.ms": 30_000,
        }
    )
    results = [None] * count

    def delivered(index):
        def callback(error, record):
            results[index] = {
                "error": None if error is None else str(error),
                "partition": record.partition(),
                "offset": record.offset(),
            }

        return callback

    for i in range(count):
        key, value, headers, timestamp = message(i)
        producer.produce(topic, key=key, value=value, headers=headers, timestamp=timestamp, on_delivery=delivered(i))
    remaining = producer.flush(40)
    if remaining:
        raise SystemExit(f"{remaining} messages not delivered")
    return results


def ck_consume(bootstrap, topic, count):
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "assign-only", "enable.auto.commit": False})
    metadata = consumer.list_topics(topic, timeout=20)
    partitions = sorted(metadata.topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    messages = []
    deadline = time.time() + 30
    while len(messages) < count and time.time() < deadline:
        record = consumer.poll(1.0)
        if record is None:
            continue
        if record.error():
            raise SystemExit(f"consume error: {record.error()}")
        messages.append(
            {
                "partition": record.partition(),
                "offset": record.offset(),
                "key": text(record.key()),
                "value": text(record.value()),
                "headers": [[k, text(v)] for k, v in (record.headers() or [])],
                "timestamp": record.timestamp()[1],
            }
        )
    consumer.close()
    return messages


def as_json(partition, offset, key, value, headers, timestamp):
    return {"partition": partition, "offset": offset, "key": text(key), "value": text(value),
            "headers": [[k, text(v)] for k, v in (headers or [])], "timestamp": timestamp}


def kp_group(bootstrap, topic, group, count):
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5_000,
        api_version_auto_timeout_ms=20_000,
        session_timeout_ms=10_000,
    )
    messages = []
    deadline = time.time() + 60
    while len(messages) < count and time.time() < deadline:
        for records in consumer.poll(timeout_ms=1_000).values():
            for r in records:
                messages.append(as_json(r.partition, r.offset, r.key, r.value, r.headers, r.timestamp))
    consumer.commit()
    consumer.close()
    return messages


def ck_group(bootstrap, topic, group, count):
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "session.timeout.ms": 10_000})
    consumer.subscribe([topic])
    messages = []
    deadline = time.time() + 60
    while len(messages) < count and time.time() < deadline:
        r = consumer.poll(1.0)
        if r is None:
            continue
        if r.error():
            raise SystemExit(f"consume error: {r.error()}")
        messages.append(as_json(r.partition(), r.offset(), r.key(), r.value(), r.headers(), r.timestamp()[1]))
    if messages:
        consumer.commit(asynchronous=False)
    consumer.close()
    return messages


def kp_rebalance(bootstrap, topic, group):
    from kafka import KafkaConsumer

    def consumer():
        return KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                             auto_offset_reset="earliest", api_version_auto_timeout_ms=20_000,
                             session_timeout_ms=10_000, heartbeat_interval_ms=500)

    def owned(c):
        return sorted(tp.partition for tp in c.assignment())

    def poll_until(consumers, done, what):
        deadline = time.time() + 60
        while time.time() < deadline:
            for c in consumers:
                c.poll(timeout_ms=100)
            if done():
                return
        raise SystemExit(f"timed out waiting until {what}: {[owned(c) for c in consumers]}")

    first = consumer()
    poll_until([first], lambda: len(owned(first)) > 0, "the first consumer has partitions")
    alone = owned(first)
    second = consumer()
    poll_until([first, second], lambda: owned(first) and owned(second)
               and sorted(owned(first) + owned(second)) == alone, "both consumers share the partitions")
    shared = (owned(first), owned(second))
    second.close()
    poll_until([first], lambda: owned(first) == alone, "the first consumer has every partition again")
    after_leave = owned(first)
    first.close()
    return {"alone": alone, "first": shared[0], "second": shared[1], "after_leave": after_leave}


def kp_admin(bootstrap, topic, partitions):
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20_000)
    created = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1,
                  topic_configs={"retention.ms": "3600000"})],
        timeout_ms=20_000,
    )
    created_errors = [[name, code] for name, code, *_ in created.topic_errors]
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    configs = {}
    for response in described:
        for _code, _message, _type, _name, entries in response.resources:
            for entry in entries:
                configs[entry[0]] = entry[1]
    listed = topic in admin.list_topics()
    admin.delete_topics([topic], timeout_ms=20_000)
    after_delete = topic in admin.list_topics()
    admin.close()
    return {"created": created_errors, "configs": configs, "listed": listed, "after_delete": after_delete}


def main():
    command, bootstrap, topic = sys.argv[1:4]
    rest = sys.argv[4:]
    if command == "kp-produce":
        result = kp_produce(bootstrap, topic, rest[0], int(rest[1]), rest[2] if len(rest) > 2 else None)
    elif command == "kp-consume":
        result = kp_consume(bootstrap, topic, int(rest[0]))
    elif command == "ck-produce":
        result = ck_produce(bootstrap, topic, int(rest[0]))
    elif command == "ck-consume":
        result = ck_consume(bootstrap, topic, int(rest[0]))
    elif command == "kp-group":
        result = kp_group(bootstrap, topic, rest[0], int(rest[1]))
    elif command == "ck-group":
        result = ck_group(bootstrap, topic, rest[0], int(rest[1]))
    elif command == "kp-rebalance":
        result = kp_rebalance(bootstrap, topic, rest[0])
    elif command == "kp-admin":
        result = kp_admin(bootstrap, topic, int(rest[0]))
    else:
        raise SystemExit(f"unknown command {command}")
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
