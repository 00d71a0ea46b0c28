#!/usr/bin/env python3
"""Encodes sample Kafka requests and responses with kafka-python's own protocol classes.

Used by KafkaPythonProtocolCrossCheckTests: the Swift codecs must write the same bytes. Prints one
JSON object {"<api>-<request|response>-v<version>": "<hex>"}; a request is a whole frame without
its size prefix (header + body, correlation id 7, client id "kc"), a response its body only.

Each sample is a superset of every version's fields (kafka-python's field names); a version takes
the fields its schema has. The Swift side builds the same superset with its own types.

With the arguments `decode-api-versions VERSION HEX`, decodes HEX as the body of the ApiVersions
response to a request of VERSION, as kafka-python's client does (it falls back to the v0 layout
when the error code is not 0), and prints {"class", "error_code", "api_versions"}.

Exit status 3: kafka-python 2.x is not installed (pip install 'kafka-python==2.*').
"""
import json
import sys

try:
    import kafka
    from kafka.protocol import api_versions, fetch, init_producer_id, list_offsets, metadata, produce
    from kafka.protocol.types import Array, CompactArray
except ImportError as error:
    print(f"kafka-python is not installed: {error}", file=sys.stderr)
    sys.exit(3)
if not kafka.__version__.startswith("2."):
    print(f"kafka-python {kafka.__version__} is not 2.x", file=sys.stderr)
    sys.exit(3)


def build(schema, sample):
    """The positional values of `schema` taken by name from the dict `sample`."""
    values = []
    for name, field in zip(schema.names, schema.fields):
        if name == "_tagged_fields":
            values.append({})
            continue
        value = sample[name]
        inner = getattr(field, "array_of", None)
        if isinstance(field, (Array, CompactArray)) and inner is not None and hasattr(inner, "names"):
            value = None if value is None else [tuple(build(inner, item)) for item in value]
        values.append(value)
    return values


RECORDS = bytes(range(61))

SAMPLES = {
    "apiVersions": (
        api_versions.ApiVersionsRequest, range(0, 4),
        {"client_software_name": "confluent-kafka-python", "client_software_version": "2.6.0"},
        api_versions.ApiVersionsResponse, range(0, 4),
        {"error_code": 0, "throttle_time_ms": 25, "api_versions": [
            {"api_key": 0, "min_version": 3, "max_version": 8},
            {"api_key": 18, "min_version": 0, "max_version": 3},
        ]},
    ),
    "metadata": (
        metadata.MetadataRequest, range(0, 9),
        {"topics": ["orders", "payments"], "allow_auto_topic_creation": False,
         "include_cluster_authorized_operations": True, "include_topic_authorized_operations": True},
        metadata.MetadataResponse, range(0, 9),
        {"throttle_time_ms": 5, "cluster_id": "sluice", "controller_id": 1,
         # BitField: the set of bits (3 and 15 below; {31} is Int32.min, "not requested").
         "authorized_operations": {0, 1},
         "brokers": [{"node_id": 1, "host": "127.0.0.1", "port": 9092, "rack": "r1"}],
         "topics": [
             {"error_code": 0, "topic": "orders", "is_internal": True, "authorized_operations": {0, 1, 2, 3},
              "partitions": [
                  {"error_code": 0, "partition": 0, "leader": 1, "leader_epoch": 4, "replicas": [1], "isr": [1],
                   "offline_replicas": [2]},
                  {"error_code": 5, "partition": 1, "leader": -1, "leader_epoch": -1, "replicas": [], "isr": [],
                   "offline_replicas": []},
              ]},
             {"error_code": 3, "topic": "missing", "is_internal": False, "authorized_operations": {31},
              "partitions": []},
         ]},
    ),
    "produce": (
        produce.ProduceRequest, range(3, 9),
        {"transactional_id": "tx-1", "required_acks": -1, "timeout": 30000, "topics": [
            {"topic": "orders", "partitions": [{"partition": 0, "records": RECORDS}, {"partition": 3, "records": None}]},
            {"topic": "empty", "partitions": []},
        ]},
        produce.ProduceResponse, range(3, 9),
        {"throttle_time_ms": 12, "topics": [{"topic": "orders", "partitions": [
            {"partition": 0, "error_code": 0, "offset": 42, "timestamp": 1700000000000, "log_start_offset": 7,
             "record_errors": [], "error_message": None},
            {"partition": 3, "error_code": 87, "offset": -1, "timestamp": -1, "log_start_offset": -1,
             "record_errors": [{"batch_index": 2, "batch_index_error_message": "bad key"},
                               {"batch_index": 5, "batch_index_error_message": None}],
             "error_message": "2 records failed"},
        ]}]},
    ),
    "fetch": (
        fetch.FetchRequest, range(4, 12),
        {"replica_id": -1, "max_wait_time": 500, "min_bytes": 1, "max_bytes": 52428800, "isolation_level": 1,
         "session_id": 17, "session_epoch": 3, "rack_id": "rack-a",
         "topics": [{"topic": "orders", "partitions": [
             {"partition": 0, "current_leader_epoch": 2, "offset": 1000, "fetch_offset": 1000, "log_start_offset": 0,
              "max_bytes": 1048576},
             {"partition": 1, "current_leader_epoch": -1, "offset": 0, "fetch_offset": 0, "log_start_offset": -1,
              "max_bytes": 1},
         ]}],
         "forgotten_topics_data": [{"topic": "old", "partitions": [4, 5]}]},
        fetch.FetchResponse, range(4, 12),
        {"throttle_time_ms": 3, "error_code": 70, "session_id": 17, "topics": [{"topics": "orders", "partitions": [
            {"partition": 0, "error_code": 0, "highwater_offset": 1200, "last_stable_offset": 1200,
             "log_start_offset": 10, "aborted_transactions": [{"producer_id": 9, "first_offset": 1100}],
             "preferred_read_replica": 1, "records": bytes([0xAB, 0xCD, 0xEF])},
            {"partition": 1, "error_code": 1, "highwater_offset": -1, "last_stable_offset": -1,
             "log_start_offset": -1, "aborted_transactions": None, "preferred_read_replica": -1, "records": None},
        ]}]},
    ),
    "listOffsets": (
        list_offsets.ListOffsetsRequest, range(0, 6),
        {"replica_id": -1, "isolation_level": 1, "topics": [{"topic": "orders", "partitions": [
            {"partition": 0, "current_leader_epoch": 3, "timestamp": -2, "max_offsets": 5},
            {"partition": 1, "current_leader_epoch": -1, "timestamp": 1700000000000, "max_offsets": 1},
        ]}]},
        list_offsets.ListOffsetsResponse, range(0, 6),
        {"throttle_time_ms": 8, "topics": [{"topic": "orders", "partitions": [
            {"partition": 0, "error_code": 0, "offsets": [120, 0], "timestamp": 1700000000000, "offset": 120,
             "leader_epoch": 3},
            {"partition": 9, "error_code": 3, "offsets": [], "timestamp": -1, "offset": -1, "leader_epoch": -1},
        ]}]},
    ),
    "initProducerId": (
        init_producer_id.InitProducerIdRequest, range(0, 2),
        {"transactional_id": "tx", "transaction_timeout_ms": 60000},
        init_producer_id.InitProducerIdResponse, range(0, 2),
        {"throttle_time_ms": 1, "error_code": 0, "producer_id": 1000001, "producer_epoch": 2},
    ),
}


def decode_api_versions(version, hex_body):
    response = api_versions.ApiVersionsResponse[version].decode(bytes.fromhex(hex_body))
    json.dump({
        "class": type(response).__name__,
        "error_code": response.error_code,
        "api_versions": [list(entry[:3]) for entry in response.api_versions],
    }, sys.stdout)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "decode-api-versions":
        decode_api_versions(int(sys.argv[2]), sys.argv[3])
        return
    out = {}
    for api, (requests, request_versions, request, responses, response_versions, response) in SAMPLES.items():
        for version in request_versions:
            cls = requests[version]
            message = cls(*build(cls.SCHEMA, request))
            # Keep the header in a variable: kafka-python's encode holds its struct weakly.
            header = message.build_header(correlation_id=7, client_id="kc")
            frame = header.encode() + message.encode()
            out[f"{api}-request-v{version}"] = frame.hex()
        for version in response_versions:
            cls = responses[version]
            message = cls(*build(cls.SCHEMA, response))
            out[f"{api}-response-v{version}"] = message.encode().hex()
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


main()
