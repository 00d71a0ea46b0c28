#!/usr/bin/env python3
"""Encodes sample group and admin request and response bodies with kafka-python's protocol classes.

Used by KafkaPythonGroupCrossCheckTests: the Swift codecs must write the same bytes. Prints one JSON object
{"<api>-<request|response>-v<version>": "<hex of the body>"} for every version kafka-python defines that the
Swift codec implements. The samples are the same values the Swift test builds, field by field, in each
version's schema order (kafka-python's names in the comments).

Exit status 3: kafka-python 2.x is not installed (pip install 'kafka-python==2.*').
"""
import json
import sys

try:
    import kafka
    from kafka.protocol import admin, commit, find_coordinator, group
except ImportError as error:
    print(f"kafka-python is not installed: {error}", file=sys.stderr)
    sys.exit(3)
if not kafka.__version__.startswith("2."):
    print(f"kafka-python {kafka.__version__} is not 2.x", file=sys.stderr)
    sys.exit(3)

META = bytes([0, 1, 0, 0, 0, 1, 0, 1, 0x74])


def find_coordinator_request(v):
    return ["orders"] if v == 0 else ["orders", 1]


def find_coordinator_response(v):
    if v == 0:
        return [15, 1, "broker", 9092]
    return [5, 15, "not yet", 1, "broker", 9092]


def join_request(v):
    protocols = [("range", META), ("roundrobin", b"")]
    fields = ["g", 10000]
    if v >= 1:
        fields.append(30000)
    fields.append("m-1")
    if v >= 5:
        fields.append("pod-1")
    return fields + ["consumer", protocols]


def join_response(v):
    if v >= 5:
        members = [("m-1", "pod-1", META), ("m-2", None, b"")]
    else:
        members = [("m-1", META), ("m-2", b"")]
    fields = [7] if v >= 2 else []
    return fields + [0, 3, "range", "m-1", "m-1", members]


def sync_request(v):
    fields = ["g", 3, "m-1"]
    if v >= 3:
        fields.append("pod-1")
    return fields + [[("m-1", META), ("m-2", b"")]]


def sync_response(v):
    return ([1] if v >= 1 else []) + [0, META]


def heartbeat_request(v):
    return ["g", 3, "m-1"] + (["pod-1"] if v >= 3 else [])


def heartbeat_response(v):
    return ([2] if v >= 1 else []) + [27]


def leave_request(v):
    if v >= 3:
        return ["g", [("m-1", None), ("", "pod-2")]]
    return ["g", "m-1"]


def leave_response(v):
    fields = ([3] if v >= 1 else []) + [0]
    if v >= 3:
        fields.append([("m-1", None, 0), ("", "pod-2", 25)])
    return fields


def commit_request(v):
    def partition(index, offset, epoch, timestamp, metadata):
        values = [index, offset]
        if v >= 6:
            values.append(epoch)
        if v == 1:
            values.append(timestamp)
        return tuple(values + [metadata])

    topics = [
        ("orders", [partition(0, 42, 3, 1700000000000, "meta"), partition(7, 2**63 - 1, -1, -1, None)]),
        ("empty", []),
    ]
    fields = ["g"]
    if v >= 1:
        fields += [4, "m-1"]
    if v >= 7:
        fields.append("pod-1")
    if 2 <= v <= 4:
        fields.append(86400000)
    return fields + [topics]


def commit_response(v):
    return ([9] if v >= 3 else []) + [[("orders", [(0, 0), (7, 22)])]]


def fetch_request(v):
    return ["g", [("orders", [0, 1, 2]), ("audit", [])]]


def fetch_response(v):
    def partition(index, offset, epoch, metadata, error):
        return (index, offset, epoch, metadata, error) if v >= 5 else (index, offset, metadata, error)

    topics = [("orders", [partition(0, 42, 2, "meta", 0), partition(1, -1, -1, None, 0), partition(2, -1, -1, None, 3)])]
    fields = ([4] if v >= 3 else []) + [topics]
    if v >= 2:
        fields.append(16)
    return fields


def create_request(v):
    topics = [
        ("orders", 3, 1, [], [("retention.ms", "60000"), ("cleanup.policy", None)]),
        ("placed", -1, -1, [(0, [0]), (1, [])], []),
    ]
    return [topics, 30000] + ([True] if v >= 1 else [])


def create_response(v):
    if v == 0:
        topics = [("orders", 0), ("dup", 36)]
    else:
        topics = [("orders", 0, None), ("dup", 36, "Topic 'dup' already exists.")]
    return ([1] if v >= 2 else []) + [topics]


def delete_request(v):
    return [["a", "b"], 5000]


def delete_response(v):
    return ([2] if v >= 1 else []) + [[("a", 0), ("zzz", 3)]]


def describe_request(v):
    resources = [(2, "orders", ["retention.ms"]), (4, "0", None)]
    return [resources] + ([True] if v >= 1 else [])


def describe_response(v):
    if v == 0:
        configs = [("retention.ms", "604800000", False, True, False)]
    else:
        configs = [("retention.ms", "604800000", False, 5, False, [("log.retention.ms", None, 5)])]
    return [3, [(0, None, 2, "orders", configs), (3, "unknown topic", 2, "gone", [])]]


SAMPLES = [
    ("findCoordinator", find_coordinator.FindCoordinatorRequest, find_coordinator_request,
     find_coordinator.FindCoordinatorResponse, find_coordinator_response, range(0, 3)),
    ("joinGroup", group.JoinGroupRequest, join_request, group.JoinGroupResponse, join_response, range(0, 6)),
    ("syncGroup", group.SyncGroupRequest, sync_request, group.SyncGroupResponse, sync_response, range(0, 4)),
    ("heartbeat", group.HeartbeatRequest, heartbeat_request, group.HeartbeatResponse, heartbeat_response, range(0, 4)),
    ("leaveGroup", group.LeaveGroupRequest, leave_request, group.LeaveGroupResponse, leave_response, range(0, 4)),
    ("offsetCommit", commit.OffsetCommitRequest, commit_request, commit.OffsetCommitResponse, commit_response,
     range(0, 8)),
    ("offsetFetch", commit.OffsetFetchRequest, fetch_request, commit.OffsetFetchResponse, fetch_response,
     range(0, 6)),
    ("createTopics", admin.CreateTopicsRequest, create_request, admin.CreateTopicsResponse, create_response,
     range(0, 4)),
    ("deleteTopics", admin.DeleteTopicsRequest, delete_request, admin.DeleteTopicsResponse, delete_response,
     range(0, 4)),
    ("describeConfigs", admin.DescribeConfigsRequest, describe_request, admin.DescribeConfigsResponse,
     describe_response, range(0, 3)),
]

out = {}
for name, request, request_values, response, response_values, versions in SAMPLES:
    for version in versions:
        # Keep each message in a variable: kafka-python's encode holds its struct weakly.
        message = request[version](*request_values(version))
        out[f"{name}-request-v{version}"] = message.encode().hex()
        answer = response[version](*response_values(version))
        out[f"{name}-response-v{version}"] = answer.encode().hex()
print(json.dumps(out, sort_keys=True))
