#!/usr/bin/env python3
"""Kafka RecordBatch v2 through kafka-python's pure-Python codec, for Sluice's cross-check tests.

Usage:
  kafka_codec.py decode BATCHES        decode the batches concatenated in BATCHES; print them as JSON
  kafka_codec.py encode BATCHES SEED [COMPRESSION]
                                       build batches with DefaultRecordBatchBuilder, write them to
                                       BATCHES and print what was given to the builder as JSON;
                                       COMPRESSION is none (the default) or gzip
  kafka_codec.py crc32c INPUT          INPUT holds a JSON list of base64 strings; print their CRC-32C
                                       values from kafka-python's own implementations as JSON
  kafka_codec.py varints INPUT         INPUT holds a JSON list of integers; print kafka-python's
                                       zig-zag varint encoding of each as base64 in JSON

Bytes appear in JSON as base64 strings, and Kafka's null as JSON null. Exit status 3 means that
kafka-python 2.x is not installed; 1 means that it rejected the input.
"""

import base64
import json
import random
import struct
import sys

try:
    import kafka
    from kafka.record import _crc32c
    from kafka.record import util
    from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
except ImportError as error:
    sys.stderr.write(
        "kafka-python is not installed (%s): run `python3 -m pip install 'kafka-python==2.*'` for the cross-check\n" % error
    )
    sys.exit(3)

if not kafka.__version__.startswith("2."):
    sys.stderr.write(
        "kafka-python %s is installed but the cross-check needs 2.x: run `python3 -m pip install 'kafka-python==2.*'`\n"
        % kafka.__version__
    )
    sys.exit(3)

LOG_OVERHEAD = 12  # baseOffset and batchLength
HEADER_SIZE = 61


def b64(data):
    return None if data is None else base64.b64encode(bytes(data)).decode("ascii")


def fail(message):
    sys.stderr.write(message + "\n")
    sys.exit(1)


def describe_batch(batch):
    """The header fields of a DefaultRecordBatch, before its records are read."""
    return {
        "base_offset": batch.base_offset,
        "size_in_bytes": batch.size_in_bytes,
        "leader_epoch": batch.leader_epoch,
        "magic": batch.magic,
        "crc": batch.crc,
        "attributes": batch.attributes,
        "last_offset_delta": batch.last_offset_delta,
        "first_timestamp": batch.first_timestamp,
        "max_timestamp": batch.max_timestamp,
        "producer_id": batch.producer_id,
        "producer_epoch": batch.producer_epoch,
        "base_sequence": batch.base_sequence,
        "records_count": batch.records_count,
    }


def describe_record(offset, timestamp, key, value, headers):
    return {
        "offset": offset,
        "timestamp": timestamp,
        "key": b64(key),
        "value": b64(value),
        "headers": [{"key": header_key, "value": b64(header_value)} for header_key, header_value in headers],
    }


def decode(path):
    with open(path, "rb") as file:
        data = file.read()
    batches = []
    position = 0
    while position < len(data):
        if len(data) - position < HEADER_SIZE:
            fail("%d bytes at %d are too few for a batch" % (len(data) - position, position))
        (batch_length,) = struct.unpack_from(">i", data, position + 8)
        size = batch_length + LOG_OVERHEAD
        if size < HEADER_SIZE or position + size > len(data):
            fail("batch at %d has batchLength %d; %d bytes remain" % (position, batch_length, len(data) - position))
        batch = DefaultRecordBatch(data[position : position + size])
        if batch.magic != 2:
            fail("batch at %d has magic %d" % (position, batch.magic))
        described = describe_batch(batch)
        described["crc_valid"] = batch.validate_crc()  # must come before the records are read
        described["records"] = [
            describe_record(record.offset, record.timestamp, record.key, record.value, record.headers)
            for record in batch
        ]
        batches.append(described)
        position += size
    json.dump(batches, sys.stdout)


def random_bytes(rng, sizes=(0, 1, 7, 100, 300, 20000)):
    """None, empty, or random bytes of a random size (lengths that take 1, 2 and 3 varint bytes)."""
    choice = rng.randrange(10)
    if choice == 0:
        return None
    if choice == 1:
        return b""
    return rng.randbytes(rng.randint(0, rng.choice(sizes)))


COMPRESSION_TYPES = {"none": 0, "gzip": 1}


def encode(path, seed, compression="none"):
    if compression not in COMPRESSION_TYPES:
        fail("unknown compression %r: use one of %s" % (compression, ", ".join(COMPRESSION_TYPES)))
    compression_type = COMPRESSION_TYPES[compression]
    rng = random.Random(seed)
    header_keys = ["", "a", "trace-id", "ключ", "\U0001F642 emoji", "long" * 40]
    batches = []
    with open(path, "wb") as file:
        for index in range(12):
            if index % 3 == 0:
                producer = (-1, -1, -1)
            else:
                producer = (rng.randint(0, 2**63 - 1), rng.randint(0, 2**15 - 1), rng.randint(0, 2**31 - 1))
            builder = DefaultRecordBatchBuilder(
                magic=2,
                compression_type=compression_type,
                is_transactional=False,
                producer_id=producer[0],
                producer_epoch=producer[1],
                base_sequence=producer[2],
                batch_size=1 << 30,
            )
            count = 1 if index == 0 else 200 if index == 1 else rng.randint(1, 30)
            base_timestamp = rng.choice([0, 1700000000000, rng.randint(0, 2**42)])
            records = []
            for offset in range(count):
                timestamp = base_timestamp if offset == 0 else base_timestamp + rng.randint(-(10**6), 10**6)
                key = random_bytes(rng)
                value = random_bytes(rng)
                headers = [
                    (rng.choice(header_keys), random_bytes(rng, (0, 5, 200))) for _ in range(rng.randint(0, 4))
                ]
                if builder.append(offset, timestamp=timestamp, key=key, value=value, headers=headers) is None:
                    fail("DefaultRecordBatchBuilder refused record %d of batch %d" % (offset, index))
                records.append(describe_record(offset, timestamp, key, value, headers))
            data = bytes(builder.build())
            file.write(data)
            timestamps = [record["timestamp"] for record in records]
            batches.append(
                {
                    "base_offset": 0,
                    "size_in_bytes": len(data),
                    "leader_epoch": 0,  # DefaultRecordBatchBuilder writes 0
                    "magic": 2,
                    "crc": struct.unpack_from(">I", data, 17)[0],
                    # kafka-python keeps a batch uncompressed when gzip would not make it smaller
                    "attributes": struct.unpack_from(">h", data, 21)[0],
                    "last_offset_delta": count - 1,
                    "first_timestamp": timestamps[0],
                    "max_timestamp": max(timestamps),
                    "producer_id": producer[0],
                    "producer_epoch": producer[1],
                    "base_sequence": producer[2],
                    "records_count": count,
                    "records": records,
                }
            )
    json.dump(batches, sys.stdout)


def crc32c(path):
    with open(path) as file:
        inputs = [base64.b64decode(item) for item in json.load(file)]
    json.dump([{"pure": _crc32c.crc(data), "util": util.calc_crc32c(data)} for data in inputs], sys.stdout)


def varints(path):
    with open(path) as file:
        values = json.load(file)
    encoded = []
    for value in values:
        out = bytearray()
        util.encode_varint(value, out.append)
        encoded.append({"bytes": b64(out), "size": util.size_of_varint(value)})
    json.dump(encoded, sys.stdout)


def main(arguments):
    if len(arguments) == 2 and arguments[0] == "decode":
        decode(arguments[1])
    elif len(arguments) in (3, 4) and arguments[0] == "encode":
        encode(arguments[1], int(arguments[2]), *arguments[3:])
    elif len(arguments) == 2 and arguments[0] == "crc32c":
        crc32c(arguments[1])
    elif len(arguments) == 2 and arguments[0] == "varints":
        varints(arguments[1])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
