#!/usr/bin/env python3
"""A Kafka client written from docs/KAFKA.md alone (plus Kafka's public protocol specs for the wire
layouts of the API versions KAFKA.md says the listener serves), driving a running brokerd's Kafka
listener from outside with valid frames that carry hostile values.

For a seeded random sequence of steps it sends Kafka requests (ApiVersions, Metadata, Produce with
RecordBatch v2 batches it builds itself, CRC-32C and gzip included, Fetch, ListOffsets,
InitProducerId, the classic group APIs, OffsetCommit/OffsetFetch, CreateTopics, DeleteTopics,
DescribeConfigs) whose values are chosen to hurt, and checks after each step that:
  - every request that expects an answer got one, in request order, with its correlation id, and
    the connection was closed only where KAFKA.md says it is (an unserved API or version, an
    acks = 0 produce that failed, too many fetch or listOffsets entries);
  - every error code is one KAFKA.md documents for that API, and the one it names where it names
    one (INVALID_REQUIRED_ACKS, UNSUPPORTED_COMPRESSION_TYPE, CORRUPT_MESSAGE for a record count
    that disagrees, OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID, OFFSET_OUT_OF_RANGE, ...);
  - every idempotent retry is answered with the offset of its first copy;
  - a fresh connection still answers ApiVersions.
At the end every acknowledged batch (acks 1 and -1) is fetched back and compared byte for byte at
its offset, and every accepted offset commit is read back with OffsetFetch.

Usage: outside-kafka-client.py (--brokerd PATH | --broker HOST:PORT) [--seed N] [--steps N] [--quiet]
Prints the seed, steps, requests and findings, and a replay command; exits 1 on a finding.
"""
import argparse, os, random, re, shutil, socket, struct, sys, tempfile, time

from outside_common import (I32_MAX, I32_MIN, I64_MAX, I64_MIN, Closed, FramedSocket, Reader, Short, batch, i8, i16,
                            i32, i64, start_broker, stop_broker, uvarint)

I16_MAX = (1 << 15) - 1

# Kafka error codes KAFKA.md names
NONE, UNKNOWN_SERVER_ERROR, OFFSET_OUT_OF_RANGE, CORRUPT_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION = 0, -1, 1, 2, 3
NOT_LEADER, REQUEST_TIMED_OUT, MESSAGE_TOO_LARGE, OFFSET_METADATA_TOO_LARGE = 6, 7, 10, 12
COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, INVALID_TOPIC, INVALID_REQUIRED_ACKS = 15, 16, 17, 21
ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, INVALID_GROUP_ID, UNKNOWN_MEMBER_ID = 22, 23, 24, 25
INVALID_SESSION_TIMEOUT, REBALANCE_IN_PROGRESS, INVALID_COMMIT_OFFSET_SIZE, INVALID_TIMESTAMP = 26, 27, 28, 32
UNSUPPORTED_VERSION, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR = 35, 36, 37, 38
INVALID_CONFIG, INVALID_REQUEST, POLICY_VIOLATION, OUT_OF_ORDER_SEQUENCE = 40, 42, 44, 45
DUPLICATE_SEQUENCE, INVALID_PRODUCER_EPOCH, TXN_ID_AUTH_FAILED, KAFKA_STORAGE_ERROR = 46, 47, 53, 56
UNKNOWN_PRODUCER_ID, NON_EMPTY_GROUP, UNSUPPORTED_COMPRESSION, MEMBER_ID_REQUIRED = 59, 68, 76, 79
GROUP_MAX_SIZE_REACHED, FENCED_INSTANCE_ID = 81, 82
NAMES = {v: k for k, v in dict(globals()).items() if isinstance(v, int) and k.isupper() and -2 < v < 100}

# Served ranges (KAFKA.md, "Versions")
SERVED = {0: (3, 8), 1: (4, 11), 2: (0, 5), 3: (0, 8), 8: (0, 7), 9: (0, 5), 10: (0, 2), 11: (0, 5), 12: (0, 3),
          13: (0, 3), 14: (0, 3), 18: (0, 3), 19: (0, 4), 20: (0, 3), 22: (0, 1), 32: (0, 2)}

# Error codes KAFKA.md documents per API ("Error codes on the Kafka listener", the listener's own codes,
# "Classic consumer groups" Errors, "Offsets", "Admin APIs"). Every API may also answer
# NOT_LEADER_OR_FOLLOWER (shutting down) and KAFKA_STORAGE_ERROR.
COMMON = {NONE, NOT_LEADER, KAFKA_STORAGE_ERROR}
TOPIC = {UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC, POLICY_VIOLATION}
GROUP = {INVALID_GROUP_ID, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
         INCONSISTENT_GROUP_PROTOCOL}
ALLOWED = {
    "produce": COMMON | TOPIC | {CORRUPT_MESSAGE, MESSAGE_TOO_LARGE, OUT_OF_ORDER_SEQUENCE, UNKNOWN_PRODUCER_ID,
                                 INVALID_TIMESTAMP, REQUEST_TIMED_OUT, INVALID_REQUEST, INVALID_REQUIRED_ACKS,
                                 TXN_ID_AUTH_FAILED, UNSUPPORTED_COMPRESSION, INVALID_CONFIG},
    "fetch": COMMON | TOPIC | {OFFSET_OUT_OF_RANGE, INVALID_REQUEST},
    "listOffsets": COMMON | TOPIC | {INVALID_REQUEST},
    "metadata": COMMON | TOPIC | {INVALID_CONFIG},
    "initProducerId": COMMON | {TXN_ID_AUTH_FAILED},
    "findCoordinator": COMMON | {COORDINATOR_NOT_AVAILABLE, INVALID_GROUP_ID, INVALID_REQUEST},
    "joinGroup": COMMON | GROUP | {INVALID_SESSION_TIMEOUT, MEMBER_ID_REQUIRED, GROUP_MAX_SIZE_REACHED,
                                   INVALID_REQUEST, REBALANCE_IN_PROGRESS},
    "syncGroup": COMMON | GROUP | {ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS},
    "heartbeat": COMMON | GROUP | {ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS},
    "leaveGroup": COMMON | GROUP,
    "offsetCommit": COMMON | GROUP | {ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, UNKNOWN_TOPIC_OR_PARTITION,
                                      OFFSET_METADATA_TOO_LARGE, INVALID_REQUEST, INVALID_COMMIT_OFFSET_SIZE},
    "offsetFetch": COMMON | GROUP | {UNKNOWN_TOPIC_OR_PARTITION},
    "createTopics": COMMON | {INVALID_TOPIC, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
                              INVALID_CONFIG, INVALID_REQUEST, POLICY_VIOLATION},
    "deleteTopics": COMMON | {UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC},
    "describeConfigs": COMMON | {UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST, INVALID_TOPIC},
}

# ---------------------------------------------------------------- encoding (Kafka's own types)
def boolean(v): return b"\x01" if v else b"\x00"


def string(s):
    b = s.encode() if isinstance(s, str) else s
    assert len(b) <= I16_MAX
    return i16(len(b)) + b


def nstring(s): return i16(-1) if s is None else string(s)
def nbytes(b): return i32(-1) if b is None else i32(len(b)) + b
def array(items): return i32(len(items)) + b"".join(items)
def narray(items): return i32(-1) if items is None else array(items)


def compact_string(s): b = s.encode(); return uvarint(len(b) + 1) + b


# ---------------------------------------------------------------- decoding
class R(Reader):
    """Kafka's STRING (int16 length, -1 for null), ARRAY (int32 count), BOOLEAN, compact arrays and
    tagged fields."""

    def boolean(self): return self.take(1) != b"\x00"

    def string(self):
        n = self.i16()
        if n < 0:
            raise Short("null where a STRING is required")
        return self.take(n).decode()

    def nstring(self):
        n = self.i16()
        return None if n == -1 else self.take(n).decode()

    def array(self, fn):
        n = self.i32()
        if n < 0:
            raise Short("null where an ARRAY is required")
        return [fn() for _ in range(n)]

    def narray(self, fn):
        n = self.i32()
        return None if n == -1 else [fn() for _ in range(n)]

    def compact_array(self, fn): return [fn() for _ in range(self.uvarint() - 1)]

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint(); self.take(self.uvarint())


def split_batches(data):
    """(baseOffset, record count, whole batch bytes) of each batch of a Records field."""
    out, p = [], 0
    while p + 12 <= len(data):
        base, length = struct.unpack(">qi", data[p:p + 12])
        if p + 12 + length > len(data):
            break  # a partial batch at the end, as Kafka allows
        b = data[p:p + 12 + length]
        out.append((base, struct.unpack(">i", b[57:61])[0], b))
        p += 12 + length
    return out


# ---------------------------------------------------------------- connection
class Conn(FramedSocket):
    next_corr = 1

    def __init__(self, addr, timeout=30.0):
        super().__init__(addr, timeout)
        self.expected = []  # correlation ids of answers still due, in order

    def send(self, key, version, body, answered=True, flexible=False):
        corr = Conn.next_corr
        Conn.next_corr = Conn.next_corr % I32_MAX + 1
        header = i16(key) + i16(version) + i32(corr) + nstring("ko-client")
        if flexible:
            header += b"\x00"
        self.send_frame(header + body)
        if answered:
            self.expected.append(corr)
        return corr

    def wait(self, corr, flexible_header=False):
        """The body of the response to corr; responses come in request order (KAFKA.md, Listener)."""
        f = self._frame()
        want = self.expected.pop(0)
        got = struct.unpack(">i", f[:4])[0]
        if got != want or want != corr:
            raise Closed(f"response with correlation id {got}, the next one due was {want} (waiting for {corr})")
        r = R(f)
        r.i32()
        if flexible_header:
            r.tags()
        return r

    def closed_now(self, timeout=10.0):
        """True when the broker closes the connection (EOF or reset) within timeout, without sending more."""
        self.s.settimeout(timeout)
        try:
            chunk = self.s.recv(1 << 16)
            return not chunk
        except socket.timeout:
            return False
        except OSError:
            return True


class Finding(Exception):
    pass


# ---------------------------------------------------------------- the fuzzer
DATA = {"ko-a": 3, "ko-b": 2}  # never deleted: what the final check reads back
HOSTILE_TOPICS = ["x" * 249, "x" * 250, "..", ".", "__ko", "bad name", "é", "", "ko-absent-" + "z" * 10]
INVALID_TOPICS = ["x" * 250, "..", ".", "__ko", "bad name", "é", ""]
HOSTILE_GROUPS = ["", "__g", "bad name", "g" * 250, "é"]


class Fuzzer:
    def __init__(self, addr, rng, log):
        self.addr, self.rng, self.log = addr, rng, log
        self.requests, self.findings, self.gaps = 0, [], {}
        self.main = Conn(addr)
        self.acked = {}  # (topic, partition) -> {offset: batch bytes as sent}
        self.acked_records = 0
        self.producers = []  # [pid, epoch, {tp: next sequence}, {tp: (records bytes, base offset)}]
        self.commits = {}  # (group, topic, partition) -> (offset, metadata)
        self.members = {}  # group -> dict(conn, member, generation, leader, session, last, synced, instance)
        self.topics = {}  # admin topics created: name -> partitions
        self.fresh = 0

    # ---- helpers
    def finding(self, step, what):
        n = sum(1 for x in self.findings if x.startswith(f"step {step}: "))
        if n == 6:
            what = "(more findings at this step not shown)"
        elif n > 6:
            return
        self.findings.append(f"step {step}: {what}")
        self.log(f"FINDING step {step}: {what}")

    def gap(self, key, what):
        if key not in self.gaps:
            self.gaps[key] = what
            self.log(f"doc gap: {what}")

    def call(self, key, version, body, conn=None, flexible=False, flexible_header=False):
        self.requests += 1
        c = conn or self.main
        return c.wait(c.send(key, version, body, flexible=flexible), flexible_header)

    def check(self, step, api, code, where, expect=None):
        if code not in ALLOWED[api]:
            self.finding(step, f"{where}: error {code} ({NAMES.get(code, '?')}) is not one KAFKA.md documents "
                               f"for {api}")
        elif expect is not None and code not in expect:
            self.finding(step, f"{where}: error {code} ({NAMES.get(code, '?')}), KAFKA.md says "
                               f"{' or '.join(f'{c} ({NAMES.get(c)})' for c in sorted(expect))}")

    def reconnect(self):
        self.main.close()
        self.main = Conn(self.addr)

    def now(self): return int(time.time() * 1000)

    def pick(self, *weighted):
        """pick((weight, value), ...)"""
        return self.rng.choices([v for _, v in weighted], [w for w, _ in weighted])[0]

    def data_tp(self):
        t = self.rng.choice(sorted(DATA))
        return t, self.rng.randrange(DATA[t])

    def value(self):
        rng = self.rng
        if getattr(self, "small", False):
            return b"v"
        return rng.choice([None, b"", b"v", rng.randbytes(rng.choice([1, 100, 3000])), bytes(range(256))])

    def end_offset(self, t, p):
        offs = self.acked.get((t, p))
        if not offs:
            return 0
        o = max(offs)
        return o + struct.unpack(">i", offs[o][57:61])[0]

    # ---- ApiVersions
    def step_api_versions(self, step):
        rng = self.rng
        v = rng.choice([0, 1, 2, 3, 3, 3, 4, 5, 100, I16_MAX, -1, -32768])
        if v == 3:
            name = rng.choice(["ko-client", "ko.client-2", "", "bad name", "é", "-x", "a" * 300])
            ver = rng.choice(["1.0", "1", "", "1 0", "x" * 300])
            valid = all(re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", s) for s in (name, ver))
            body = compact_string(name) + compact_string(ver) + b"\x00"
            r = self.call(18, 3, body, flexible=True)
            code = r.i16()
            apis = r.compact_array(lambda: (r.i16(), r.i16(), r.i16(), r.tags())[:3])
            r.i32(); r.tags(); r.end()
            if valid and code != 0 or not valid and code != INVALID_REQUEST:
                self.finding(step, f"ApiVersions v3 with software {name[:20]!r} {ver[:20]!r} answered {code}, "
                                   f"KAFKA.md says {'NONE' if valid else 'INVALID_REQUEST (42)'}")
        else:
            r = self.call(18, v, b"")
            code = r.i16()
            apis = r.array(lambda: (r.i16(), r.i16(), r.i16()))
            if v in (1, 2):
                r.i32()
            r.end()
            want = 0 if 0 <= v <= 3 else UNSUPPORTED_VERSION
            if code != want:
                self.finding(step, f"ApiVersions v{v} answered {code}, KAFKA.md says {want}")
        got = {k: (lo, hi) for k, lo, hi in apis}
        if got != SERVED and (code == 0 or code == UNSUPPORTED_VERSION):
            self.finding(step, f"ApiVersions v{v} advertises {sorted(got.items())}, KAFKA.md lists {sorted(SERVED.items())}")

    # ---- unserved APIs and versions close the connection, after the answers before them
    def step_unserved(self, step):
        rng = self.rng
        key, v = rng.choice([(50, 0), (1000, 0), (-1, 0), (0, 2), (0, 9), (1, 3), (1, 12), (3, 9), (2, 6), (9, 6),
                             (22, 2), (11, 6), (19, 5), (32, 3), (8, 8), (4, 0), (17, 0), (60, 0), (36, 0)])
        c = Conn(self.addr)
        try:
            corr = c.send(18, 0, b"")
            if rng.random() < 0.2:  # a frame over brokerd's --max-frame-bytes (16 MiB): closed at once
                key, v = "frame", (16 << 20) + rng.choice([1, 1000, I32_MAX - (16 << 20)])
                r = c.wait(corr)
                c.s.sendall(i32(v) + b"\x00" * 1000)
                if not c.closed_now():
                    self.finding(step, f"a frame of {v} bytes (over the 16 MiB limit) did not close the connection")
                return
            c.send(key, v, b"\x00" * rng.choice([0, 4, 40]), answered=False)
            self.requests += 2
            r = c.wait(corr)
            if r.i16() != 0:
                self.finding(step, "ApiVersions v0 before an unserved request was not answered NONE")
            if not c.closed_now():
                self.finding(step, f"API {key} v{v} (not served) did not close the connection, KAFKA.md says it does")
        except Closed as e:
            self.finding(step, f"ApiVersions before unserved API {key} v{v}: {e}")
        finally:
            c.close()

    # ---- pipelining: answers come in request order, each with its correlation id
    def step_pipeline(self, step):
        rng = self.rng
        c = Conn(self.addr, timeout=30)
        try:
            sent = []
            for _ in range(rng.choice([2, 5, 20, 100])):
                kind = rng.choice(["api", "meta", "list", "fetch", "fetchwait"])
                t, p = self.data_tp()
                if kind == "api":
                    corr = c.send(18, rng.randrange(3), b"")
                elif kind == "meta":
                    corr = c.send(3, 1, narray([string(t)]))
                elif kind == "list":
                    corr = c.send(2, 1, i32(-1) + array([string(t) + array([i32(p) + i64(-1)])]))
                else:
                    # a long poll at the log end: what is pipelined behind it waits for it
                    wait = 0 if kind == "fetch" else rng.choice([10, 200])
                    corr = c.send(1, 4, i32(-1) + i32(wait) + i32(1) + i32(1 << 20) + i8(0) + array(
                        [string(t) + array([i32(p) + i64(self.end_offset(t, p)) + i32(1 << 20)])]))
                sent.append((corr, kind))
                self.requests += 1
            for corr, kind in sent:
                r = c.wait(corr)
                if kind == "api" and r.i16() != 0:
                    self.finding(step, "a pipelined ApiVersions was not answered NONE")
        except Closed as e:
            self.finding(step, f"{len(sent)} pipelined requests: {e}")
        finally:
            c.close()

    # ---- Metadata
    def metadata(self, v, topics, auto, conn=None):
        if v == 0:
            body = array([string(t) for t in (topics or [])])
        else:
            body = narray(None if topics is None else [string(t) for t in topics])
        if v >= 4:
            body += boolean(auto)
        if v >= 8:
            body += boolean(self.rng.random() < 0.5) + boolean(self.rng.random() < 0.5)
        r = self.call(3, v, body, conn)
        if v >= 3:
            r.i32()
        brokers = r.array(lambda: (r.i32(), r.string(), r.i32(), r.nstring() if v >= 1 else None))
        if v >= 2:
            r.nstring()
        if v >= 1:
            r.i32()

        def part():
            p = dict(error=r.i16(), index=r.i32(), leader=r.i32())
            if v >= 7:
                p["epoch"] = r.i32()
            p["replicas"] = r.array(r.i32); p["isr"] = r.array(r.i32)
            if v >= 5:
                r.array(r.i32)
            return p

        def topic():
            t = dict(error=r.i16(), name=r.string())
            if v >= 1:
                r.boolean()
            t["partitions"] = r.array(part)
            if v >= 8:
                r.i32()
            return t
        ts = r.array(topic)
        if v >= 8:
            r.i32()
        r.end()
        return brokers, ts

    def step_metadata(self, step):
        rng = self.rng
        v = rng.randrange(9)
        kind = rng.choice(["data", "data", "all", "absent", "hostile", "huge", "mixed"])
        auto = rng.random() < 0.5
        if kind == "all":
            topics = None if v >= 1 else []
        elif kind == "data":
            topics = rng.sample(sorted(DATA), rng.choice([1, 2]))
        elif kind == "absent":
            self.fresh += 1
            topics = [f"ko-auto-{self.fresh}"]
        elif kind == "hostile":
            topics = [rng.choice(HOSTILE_TOPICS)]
        elif kind == "huge":
            auto = False
            v = max(v, 4)  # auto-creation is implied before v4: ask for no creation
            topics = [f"ko-none-{i}-{rng.randrange(1 << 30)}" for i in range(rng.choice([1000, 5000, 20000]))]
        else:
            topics = sorted(DATA) + [rng.choice(HOSTILE_TOPICS), "ko-a"]
        creating = auto or v < 4
        brokers, ts = self.metadata(v, topics, auto)
        if [b[:3] for b in brokers] != [(0, self.addr[0], self.addr[1])]:
            self.finding(step, f"Metadata v{v} brokers {brokers}, KAFKA.md says node 0 at the listener's address")
        by = {}
        for t in ts:
            self.check(step, "metadata", t["error"], f"Metadata v{v} topic {t['name'][:30]!r}")
            by.setdefault(t["name"], t)
            if t["error"] == 0:
                for p in t["partitions"]:
                    if p["leader"] != 0 or p["replicas"] != [0] or p["isr"] != [0] or p.get("epoch", 0) != 0:
                        self.finding(step, f"Metadata v{v} {t['name']}/{p['index']}: leader {p['leader']}, replicas "
                                           f"{p['replicas']}, isr {p['isr']}; KAFKA.md says 0, [0], [0], epoch 0")
        if topics is None or topics == []:
            missing = [t for t in DATA if t not in by]
            if missing:
                self.finding(step, f"Metadata v{v} for all topics lacks {missing}")
            return
        if len(set(topics)) != len(by) or set(by) != set(topics):
            self.finding(step, f"Metadata v{v} answered {len(by)} topics for {len(set(topics))} asked")
            return
        for name in set(topics):
            t = by[name]
            if name in DATA:
                if t["error"] or len(t["partitions"]) != DATA[name]:
                    self.finding(step, f"Metadata v{v} {name}: error {t['error']}, {len(t['partitions'])} partitions")
            elif kind in ("absent", "huge"):
                want = {NONE} if creating else {UNKNOWN_TOPIC_OR_PARTITION}
                self.check(step, "metadata", t["error"], f"Metadata v{v} (auto-create {auto}) absent {name[:30]}", want)
            elif name in HOSTILE_TOPICS and name not in ("ko-absent-" + "z" * 10,):
                bad = not re.fullmatch(r"[A-Za-z0-9._-]{1,249}", name) or name in (".", "..") or name.startswith("__")
                if bad and t["error"] == 0:
                    self.finding(step, f"Metadata v{v} topic {name[:20]!r} (not a valid name) answered NONE")
                if bad and t["error"] not in (INVALID_TOPIC, UNKNOWN_TOPIC_OR_PARTITION):
                    self.gap("metadata-invalid-name", f"Metadata of an invalid topic name answers {t['error']}")
                if bad and creating and t["error"] == UNKNOWN_TOPIC_OR_PARTITION:
                    self.gap("metadata-invalid-name-3", "Metadata with auto-creation of an invalid topic name answers "
                                                        "UNKNOWN_TOPIC_OR_PARTITION (KAFKA.md names no code)")

    # ---- Produce
    def make_entry(self, t, p, acks, timeout_ok):
        """(records bytes, plan) for one partition. plan: dict(expect=set or None, batches=[(bytes, n)], idem=...)"""
        rng = self.rng
        known = t in DATA and 0 <= p < DATA[t]
        kind = rng.choice(["ok", "ok", "ok", "gzip", "two", "ts", "count", "codec", "idem", "idem", "idem",
                           "baseoffset", "lastdelta", "maxts", "empty"])
        if kind == "idem" and not (known and acks != 0 and timeout_ok and self.producers):
            kind = "ok"
        now = self.now()
        n = rng.choice([1, 1, 2, 5, 30])
        key = rng.choice([None, b"k", b"", bytes(rng.randrange(256) for _ in range(8))])
        recs = [(0, key, self.value(), rng.choice([[], [], [(b"h", b"v")], [(b"", None)]])) for _ in range(n)]
        plan = dict(expect=None, batches=[], idem=None, kind=kind, valid=False)
        if kind in ("ok", "gzip", "baseoffset", "two"):
            codec = 1 if kind == "gzip" or rng.random() < 0.1 else 0
            base_offset = rng.choice([I64_MAX, I64_MIN, -1, 12345]) if kind == "baseoffset" else 0
            b = batch(recs, now, now, codec=codec, base_offset=base_offset,
                      leader_epoch=rng.choice([-1, -1, 0, I32_MAX, I32_MIN]))
            plan["batches"] = [(b, n)]
            if kind == "two":
                recs2 = recs[:rng.choice([1, n])]
                plan["batches"].append((batch(recs2, now, now), len(recs2)))
            plan["valid"] = True  # KAFKA.md, Produce: baseOffset may hold anything, the log writes its own
            plan["expect"] = {NONE, REQUEST_TIMED_OUT} if known and plan["valid"] else None
        elif kind == "ts":
            base = rng.choice([I64_MIN, I64_MAX, -5, -2, now + 2 * 3600 * 1000, 0, -1, now - 86400 * 1000 * 365 * 60])
            deltas = [rng.choice([0, 1, -1, I64_MAX, I64_MIN]) for _ in range(n)]
            tss = [base + d for d in deltas]
            recs = [(d,) + r[1:] for d, r in zip(deltas, recs)]
            mx = max(-1, min(I64_MAX, max(tss)))
            plan["batches"] = [(batch(recs, base, mx), n)]
            if known and any(x < -1 or x > now + 3600 * 1000 + 60000 for x in tss):
                plan["expect"] = {INVALID_TIMESTAMP}
            elif known and all(0 <= x <= now for x in tss):
                plan["expect"] = {NONE, REQUEST_TIMED_OUT}
                plan["valid"] = True
        elif kind == "count":
            plan["batches"] = [(batch(recs, now, now, count=rng.choice([0, -1, n + 1, n - 1, I32_MAX, I32_MIN]),
                                      codec=rng.choice([0, 1])), n)]
            plan["expect"] = {CORRUPT_MESSAGE} if known else None
        elif kind == "codec":
            codec = rng.choice([2, 3, 4, 5, 6, 7])
            plan["batches"] = [(batch(recs, now, now, codec=codec), n)]
            plan["expect"] = {UNSUPPORTED_COMPRESSION} if known else None
        elif kind == "lastdelta":  # KAFKA.md, Produce: header fields that disagree are CORRUPT_MESSAGE
            plan["batches"] = [(batch(recs, now, now, last_delta=rng.choice([n, n + 5, -1, I32_MAX])), n)]
            plan["expect"] = {CORRUPT_MESSAGE} if known else None
        elif kind == "maxts":
            mx = rng.choice([now - 1000, 0, -1, I64_MIN])
            plan["batches"] = [(batch(recs, now, mx), n)]
            plan["expect"] = ({INVALID_TIMESTAMP} if mx < -1 else {CORRUPT_MESSAGE}) if known else None
        elif kind == "empty":
            plan["batches"] = [(batch([], now, now, count=0), 0)]
            plan["expect"] = {CORRUPT_MESSAGE} if known else None
        else:  # idem
            prod = rng.choice(self.producers)
            tp = (t, p)
            seq = prod[2].get(tp, 0)
            how = rng.choice(["next", "next", "next", "retry", "gap", "epoch", "pid", "seqmax"])
            if how == "retry" and tp not in prod[3]:
                how = "next"
            if how == "retry":
                data, base = prod[3][tp]
                plan.update(records=data, idem=(prod, tp, how, seq), expect={NONE}, first=base)
                return data, plan
            pid, epoch = prod[0], prod[1]
            if how == "gap":
                seq += rng.choice([1, 2, 1000])
            if how == "epoch":
                epoch = rng.choice([1, -1, I16_MAX, -32768])
            if how == "pid":
                pid = rng.choice([prod[0] + 10 ** 9, I64_MAX])
            if how == "seqmax":
                seq = rng.choice([I32_MAX, -5, I32_MIN])
            plan["batches"] = [(batch(recs, now, now, pid, epoch, seq, codec=rng.choice([0, 0, 1])), n)]
            plan["idem"] = (prod, tp, how, seq)
            plan["expect"] = {"next": {NONE}, "gap": {OUT_OF_ORDER_SEQUENCE}, "seqmax": {OUT_OF_ORDER_SEQUENCE},
                              "epoch": {UNKNOWN_PRODUCER_ID}, "pid": {UNKNOWN_PRODUCER_ID}}[how]
            if how in ("gap", "seqmax") and tp not in prod[2]:
                # a producer new to the partition whose first batch does not start at 0 (KAFKA.md: below)
                plan["expect"] = {UNKNOWN_PRODUCER_ID}
            if how == "seqmax" and seq < 0:
                plan["expect"] = {OUT_OF_ORDER_SEQUENCE, INVALID_REQUEST, CORRUPT_MESSAGE}
            plan["valid"] = how == "next"
        data = b"".join(b for b, _ in plan["batches"])
        plan["records"] = data
        return data, plan

    def step_produce(self, step):
        rng = self.rng
        v = rng.randrange(3, 9)
        acks = self.pick((30, -1), (20, 1), (10, 0), (3, 2), (2, -2), (1, I16_MAX))
        timeout = self.pick((20, 30000), (2, 0), (1, -1), (1, I32_MAX), (1, 1), (1, I32_MIN))
        txn = None if rng.random() < 0.95 else rng.choice(["tx", ""])
        timeout_ok = timeout >= 30000 and txn is None and acks in (-1, 1)
        topics, plans, seen = [], [], set()
        huge = rng.random() < 0.01
        self.small = huge  # 4,097 entries of small batches stay under the 16 MiB frame limit
        for _ in range(rng.choice([1, 1, 2])):
            t = rng.choice(sorted(DATA)) if rng.random() < 0.85 else rng.choice(HOSTILE_TOPICS + list(self.topics))
            if t in seen:
                continue
            seen.add(t)
            parts, used = [], set()
            for _ in range(rng.choice([1, 1, 2, 3]) if not huge else 4097):
                p = rng.choice([0, 1, 2, 0, 1, -1, 3, I32_MAX, I32_MIN]) if not huge else len(used) + 10
                if p in used:
                    continue
                used.add(p)
                data, plan = self.make_entry(t, p, acks, timeout_ok)
                plan["tp"] = (t, p)
                parts.append(i32(p) + nbytes(data))
                plans.append(plan)
            topics.append(string(t) + array(parts))
        body = nstring(txn) + i16(acks) + i32(timeout) + array(topics)
        for pl in plans:
            if txn is not None:
                pl["expect"] = {TXN_ID_AUTH_FAILED}
            elif acks not in (-1, 0, 1):
                pl["expect"] = {INVALID_REQUIRED_ACKS}
            elif pl["tp"][0] in DATA and not 0 <= pl["tp"][1] < DATA[pl["tp"][0]]:
                # a batch the listener refuses on its own (codec) may be answered before the partition is looked up
                pl["expect"] = {UNKNOWN_TOPIC_OR_PARTITION} | ({UNSUPPORTED_COMPRESSION} if pl["kind"] == "codec" else set())
                pl["badpartition"] = True
            if timeout < 30000 and pl["expect"] and pl["expect"] & {NONE}:
                pl["expect"] = pl["expect"] | {REQUEST_TIMED_OUT}
            if len(plans) > 4096:  # over maxEntriesPerRequest (4,096 by default): POLICY_VIOLATION per partition
                pl["expect"] = {POLICY_VIOLATION}
        self.requests += 1
        if acks == 0:
            self.main.send(0, v, body, answered=False)
            fails = [pl for pl in plans if pl["expect"] is not None and NONE not in pl["expect"]]
            sure = all(pl["expect"] is not None for pl in plans)
            try:
                r = self.call(18, 0, b"")
                r.i16()
                if fails:
                    self.finding(step, f"acks=0 produce v{v} that fails ({[pl['kind'] for pl in fails]}, "
                                       f"{[sorted(pl['expect']) for pl in fails]}) did not close the connection")
                    self.reconnect()
            except Closed as e:
                if not fails and sure:
                    self.finding(step, f"acks=0 produce v{v} of valid batches closed the connection: {e}")
                self.reconnect()
            for pl in plans:  # an idempotent batch sent with acks=0 still moves its producer's sequence
                if pl["idem"] and pl["idem"][2] == "next" and not fails:
                    prod, tp, how, seq = pl["idem"]
                    prod[2][tp] = seq + sum(n for _, n in pl["batches"])
                    prod[3].pop(tp, None)
            return
        r = self.call(0, v, body)
        got = {}
        for name, parts in r.array(lambda: (r.string(), r.array(lambda: (
                r.i32(), r.i16(), r.i64(), r.i64(), r.i64() if v >= 5 else -1,
                r.array(lambda: (r.i32(), r.nstring())) if v >= 8 else [], r.nstring() if v >= 8 else None)))):
            for p, code, base, append_time, log_start, rec_errors, msg in parts:
                got[(name, p)] = (code, base, append_time, log_start, msg)
        r.i32()
        r.end()
        if set(got) != {pl["tp"] for pl in plans}:
            self.finding(step, f"Produce v{v} answered {len(got)} partitions for {len(plans)} sent")
            return
        for pl in plans:
            code, base, append_time, log_start, msg = got[pl["tp"]]
            where = f"Produce v{v} acks {acks} {pl['tp'][0][:20]}/{pl['tp'][1]} {pl['kind']} ({msg})"
            self.check(step, "produce", code, where, pl["expect"])
            if append_time != -1 or log_start != -1:
                self.finding(step, f"{where}: log_append_time {append_time}, log_start_offset {log_start}; "
                                   "KAFKA.md says -1")
            if code:
                continue
            if pl["idem"]:
                prod, tp, how, seq = pl["idem"]
                if how == "retry":
                    if base != pl["first"]:
                        self.finding(step, f"{where}: an idempotent retry was answered offset {base}, its first copy "
                                           f"{pl['first']}")
                    continue
                if how != "next":
                    continue
                prod[2][tp] = seq + sum(n for _, n in pl["batches"])
                prod[3][tp] = (pl["records"], base)
            if pl["tp"][0] in DATA:
                o = base
                for b, n in pl["batches"]:
                    if n:
                        self.acked.setdefault(pl["tp"], {})[o] = b
                        self.acked_records += n
                    o += n

    # ---- Fetch
    def step_fetch(self, step):
        rng = self.rng
        v = rng.randrange(4, 12)
        min_bytes = rng.choice([0, 0, 1, -1, I32_MAX, I32_MIN])
        max_wait = rng.choice([0, 10, 100, -1, I32_MIN]) if min_bytes > 0 else rng.choice([0, 100, -1, I32_MAX])
        max_bytes = rng.choice([I32_MAX, 1 << 20, 0, 1, -1, I32_MIN, 100])
        huge = rng.random() < 0.01
        parts, expect, asked_desc = [], {}, ""
        t0 = rng.choice(sorted(DATA)) if rng.random() < 0.85 else rng.choice(HOSTILE_TOPICS + list(self.topics))
        n = rng.choice([1, 1, 2, 3]) if not huge else rng.choice([4096, 4097])
        for i in range(n):
            p = rng.choice([0, 1, 2, -1, 3, I32_MAX, I32_MIN]) if not huge else i
            end = self.end_offset(t0, p)
            off = rng.choice([0, 0, end, end + 1, -1, I64_MAX, I64_MIN, rng.randrange(end + 1), end - 1])
            pmax = rng.choice([1 << 20, I32_MAX, 0, 1, -1, I32_MIN, 61])
            body = i32(p)
            if v >= 9:
                body += i32(rng.choice([-1, 0, 5, I32_MAX, I32_MIN]))
            body += i64(off)
            if v >= 5:
                body += i64(rng.choice([-1, 0, I64_MAX, I64_MIN]))
            body += i32(pmax)
            parts.append(body)
            asked_desc += f"; {p}@{off} max {pmax}"
            if t0 in DATA and not huge:
                if not 0 <= p < DATA[t0]:
                    expect[p] = {UNKNOWN_TOPIC_OR_PARTITION}
                elif off < 0 or off == I64_MAX:
                    expect[p] = {OFFSET_OUT_OF_RANGE}
                elif off > end:  # acks=0 and timed-out produces append records this model does not count
                    expect[p] = {OFFSET_OUT_OF_RANGE, NONE}
                elif pmax > 0 or True:
                    expect[p] = {NONE}
        replica = rng.choice([-1, -1, -1, 0, 1, I32_MAX])
        asked_desc = f"replica {replica}{asked_desc} wait {max_wait} min {min_bytes} max {max_bytes}"
        body = i32(replica) + i32(max_wait) + i32(min_bytes) + i32(max_bytes)
        body += i8(rng.choice([0, 1, 2, -1]))
        if v >= 7:
            body += i32(rng.choice([0, 0, 5, -1, I32_MAX])) + i32(rng.choice([-1, 0, 1, I32_MAX]))
        body += array([string(t0) + array(parts)])
        if v >= 7:
            body += array([string(rng.choice(sorted(DATA))) + array([i32(0), i32(-1)])] if rng.random() < 0.2 else [])
        if v >= 11:
            body += string(rng.choice(["", "rack-1", "r" * 1000]))
        if huge and n > 4096:
            c = Conn(self.addr)
            try:
                self.requests += 1
                c.send(1, v, body)
                try:
                    c.wait(c.expected[0])
                    self.finding(step, f"Fetch v{v} with {n} partition entries was answered; KAFKA.md says more than "
                                       "maxEntriesPerRequest (4,096 by default) close the connection")
                except Closed:
                    pass
            finally:
                c.close()
            return
        self.main.s.settimeout(60)
        r = self.call(1, v, body)
        r.i32()
        if v >= 7:
            code, session = r.i16(), r.i32()
            if code or session:
                self.finding(step, f"Fetch v{v} answered error {code}, session id {session}; KAFKA.md says 0 and 0")

        def part():
            d = dict(index=r.i32(), error=r.i16(), hw=r.i64(), lso=r.i64(), ls=r.i64() if v >= 5 else 0)
            d["aborted"] = r.narray(lambda: (r.i64(), r.i64()))
            d["preferred"] = r.i32() if v >= 11 else -1
            d["records"] = r.nbytes()
            return d
        resp = r.array(lambda: (r.string(), r.array(part)))
        r.end()
        got = {(t, d["index"]): d for t, ds in resp for d in ds}
        for key, d in got.items():
            t, p = key
            where = f"Fetch v{v} {t[:20]}/{p}"
            self.check(step, "fetch", d["error"], where + f" ({asked_desc})", expect.get(p) if t == t0 else None)
            if d["error"] == 0 and t in DATA:
                end = self.end_offset(t, p)
                if d["hw"] < end or d["lso"] != d["hw"] or d["ls"] > d["hw"] or d["ls"] < 0:
                    self.finding(step, f"{where}: high watermark {d['hw']}, last stable {d['lso']}, log start "
                                       f"{d['ls']}; acknowledged up to {end}; asked {asked_desc}")
                if d["aborted"] or d["preferred"] != -1:
                    self.finding(step, f"{where}: aborted transactions {d['aborted']}, preferred replica {d['preferred']}")
                self.compare(step, where, t, p, d["records"] or b"")
        if t0 in DATA and not huge and len({pk for pk in expect}) != len([k for k in got if k[0] == t0]):
            self.finding(step, f"Fetch v{v} answered {len(got)} partitions for {len(expect)} asked")

    def compare(self, step, where, t, p, records):
        want = self.acked.get((t, p), {})
        for base, n, b in split_batches(records):
            if base in want:
                w = want[base]
                if b[8:12] + b[16:] != w[8:12] + w[16:]:
                    self.finding(step, f"{where}: the batch at {base} differs from the one acknowledged there "
                                       f"({len(b)} bytes fetched, {len(w)} sent)")
                elif b[12:16] != w[12:16]:
                    self.finding(step, f"{where}: the batch at {base} has partitionLeaderEpoch "
                                       f"{struct.unpack('>i', b[12:16])[0]}, sent {struct.unpack('>i', w[12:16])[0]} "
                                       "(KAFKA.md: stored as sent)")
                continue
            for o, w in want.items():
                if o < base < o + struct.unpack(">i", w[57:61])[0]:
                    self.finding(step, f"{where}: a batch at {base} starts inside the acknowledged batch at {o}")

    # ---- ListOffsets
    def step_list_offsets(self, step):
        rng = self.rng
        v = rng.randrange(6)
        t = rng.choice(sorted(DATA)) if rng.random() < 0.85 else rng.choice(HOSTILE_TOPICS + ["ko-never"])
        entries, asked = [], []
        for _ in range(rng.choice([1, 2, 3])):
            p = rng.choice([0, 1, 2, -1, 3, I32_MAX])
            ts = rng.choice([-2, -1, -2, -1, -3, I64_MIN, I64_MAX, 0, self.now(), self.now() - 5000])
            e = i32(p) + (i32(rng.choice([-1, 0, I32_MAX])) if v >= 4 else b"") + i64(ts)
            maxn = rng.choice([1, 1, 0, -1, I32_MAX, 5])
            if v == 0:
                e += i32(maxn)
            if p not in [a[0] for a in asked]:
                entries.append(e)
                asked.append((p, ts, maxn))
        body = i32(-1) + (i8(rng.choice([0, 1, 3])) if v >= 2 else b"") + array([string(t) + array(entries)])
        r = self.call(2, v, body)
        if v >= 2:
            r.i32()

        def part():
            d = dict(index=r.i32(), error=r.i16())
            if v == 0:
                d["offsets"] = r.array(r.i64)
            else:
                d["ts"], d["offset"] = r.i64(), r.i64()
                if v >= 4:
                    d["epoch"] = r.i32()
            return d
        resp = r.array(lambda: (r.string(), r.array(part)))
        r.end()
        got = {d["index"]: d for _, ds in resp for d in ds}
        if len(got) != len(asked):
            self.finding(step, f"ListOffsets v{v} answered {len(got)} partitions for {len(asked)}")
        for p, ts, maxn in asked:
            d = got.get(p)
            if d is None:
                continue
            where = f"ListOffsets v{v} {t[:20]}/{p} timestamp {ts}" + (f" max {maxn}" if v == 0 else "")
            if t in DATA:
                want = ({UNKNOWN_TOPIC_OR_PARTITION} if not 0 <= p < DATA[t] else
                        {INVALID_REQUEST} if ts < -2 else {NONE})
            else:
                want = None
            self.check(step, "listOffsets", d["error"], where, want)
            if t == "ko-never" and d["error"] == 0:  # a name no step creates (others may auto-create theirs)
                self.finding(step, f"{where}: answered NONE for a topic this client never created (ListOffsets never "
                                   "creates topics)")
            if d["error"] or t not in DATA:
                continue
            end = self.end_offset(t, p)
            offs = d["offsets"] if v == 0 else [d["offset"]]
            if v >= 1 and d["ts"] != -1:
                self.finding(step, f"{where}: answered timestamp {d['ts']}, KAFKA.md says always -1")
            if v == 0 and (len(offs) > 1 or not offs and ts < 0):  # KAFKA.md: [offset], or [] for no record
                self.finding(step, f"{where}: answered {len(offs)} offsets")
            if not offs:
                continue
            o = offs[0]
            # end is a lower bound: acks=0 and timed-out produces append records this model does not count
            if ts == -2 and o != 0 or ts == -1 and o < end or ts >= 0 and o < -1:
                self.finding(step, f"{where}: answered offset {o}, acknowledged log end {end}")

    # ---- InitProducerId
    def step_init_producer(self, step):
        rng = self.rng
        v = rng.randrange(2)
        txn = None if rng.random() < 0.9 else rng.choice(["tx", ""])
        r = self.call(22, v, nstring(txn) + i32(rng.choice([60000, -1, 0, I32_MAX, I32_MIN])))
        r.i32()
        code, pid, epoch = r.i16(), r.i64(), r.i16()
        r.end()
        self.check(step, "initProducerId", code, f"InitProducerId v{v} txn {txn!r}",
                   {NONE} if txn is None else {TXN_ID_AUTH_FAILED})
        if code == 0:
            if epoch != 0 or pid < 0:
                self.finding(step, f"InitProducerId answered id {pid}, epoch {epoch}; KAFKA.md says epoch 0")
            self.producers.append([pid, epoch, {}, {}])

    # ---- classic groups
    def group_name(self, prefix):
        self.fresh += 1
        return f"{prefix}-{self.fresh}"

    def join(self, conn, v, group, session, rebalance, member, protocol_type, protocols, instance=None):
        body = string(group) + i32(session)
        if v >= 1:
            body += i32(rebalance)
        body += string(member)
        if v >= 5:
            body += nstring(instance)
        body += string(protocol_type) + array([string(n) + nbytes(m) for n, m in protocols])
        r = self.call(11, v, body, conn)
        if v >= 2:
            r.i32()
        d = dict(error=r.i16(), generation=r.i32(), protocol=r.string(), leader=r.string(), member=r.string())
        d["members"] = r.array(lambda: (r.string(), r.nstring() if v >= 5 else None, r.nbytes()))
        r.end()
        return d

    def sync(self, v, group, generation, member, assignments, instance=None):
        body = string(group) + i32(generation) + string(member)
        if v >= 3:
            body += nstring(instance)
        body += array([string(m) + nbytes(a) for m, a in assignments])
        r = self.call(14, v, body)
        if v >= 1:
            r.i32()
        code, assignment = r.i16(), r.nbytes()
        r.end()
        return code, assignment

    def heartbeat(self, v, group, generation, member, instance=None):
        body = string(group) + i32(generation) + string(member) + (nstring(instance) if v >= 3 else b"")
        r = self.call(12, v, body)
        if v >= 1:
            r.i32()
        code = r.i16()
        r.end()
        return code

    def expired(self, m, margin=1500):
        """A member may be gone: its session passed, or (not synced) the rebalance timeout after its join."""
        now = self.now()
        if not m["synced"] and now - m["joined"] > m["rebalance"] - margin:
            return True  # the sync deadline runs from the join; heartbeats do not move it
        return now - m["last"] > m["session"] - margin

    def step_find_coordinator(self, step):
        rng = self.rng
        v = rng.randrange(3)
        key = rng.choice(["ko-g", "", "g" * 300, "__x", "é"])
        kt = rng.choice([0, 0, 1, 2, -1, 127]) if v >= 1 else 0
        r = self.call(10, v, string(key) + (i8(kt) if v >= 1 else b""))
        if v >= 1:
            r.i32()
        code = r.i16()
        msg = r.nstring() if v >= 1 else None
        node, host, port = r.i32(), r.string(), r.i32()
        r.end()
        where = f"FindCoordinator v{v} key {key[:10]!r} type {kt} ({msg})"
        # KAFKA.md: key type 0 is this broker for any key; any other key type COORDINATOR_NOT_AVAILABLE
        self.check(step, "findCoordinator", code, where, {NONE} if kt == 0 else {COORDINATOR_NOT_AVAILABLE})
        if kt == 0 and code == 0 and (node, host, port) != (0, self.addr[0], self.addr[1]):
            self.finding(step, f"{where}: coordinator {node} {host}:{port}, KAFKA.md says this broker")

    def step_join(self, step):
        rng = self.rng
        v = rng.randrange(6)
        hurt = rng.choice(["none", "none", "none", "session", "rebalance", "type", "protocols", "many", "big",
                           "group", "member", "second"])
        group = self.group_name("ko-j")
        session = 30000 if rng.random() < 0.5 else rng.choice([6000, 10000, 1800000])
        rebalance = rng.choice([2000, 5000])
        protocols = [("range", b"\x00\x01" + rng.randbytes(20)), ("roundrobin", b"")]
        ptype, member, instance, expect = "consumer", "", None, {NONE, MEMBER_ID_REQUIRED}
        if hurt == "session":
            session = rng.choice([5999, 1800001, -1, I32_MAX, I32_MIN, 0])
            expect = {INVALID_SESSION_TIMEOUT}
        elif hurt == "rebalance":
            rebalance = rng.choice([-1, 0, I32_MAX, I32_MIN])
        elif hurt == "type":
            ptype, expect = "", {INCONSISTENT_GROUP_PROTOCOL}
        elif hurt == "protocols":
            protocols = rng.choice([[], [("range", b"a"), ("range", b"b")], [("", b"")]])
            expect = {INCONSISTENT_GROUP_PROTOCOL} if not protocols else None
        elif hurt == "many":
            protocols = [(f"p{i}", b"m" * rng.choice([0, 10])) for i in range(rng.choice([1000, 10000]))]
        elif hurt == "big":
            protocols = [("range", b"\x00" * ((1 << 20) + 1))]
            expect = {INVALID_REQUEST}
        elif hurt == "group":
            group = rng.choice(HOSTILE_GROUPS)
            expect = {INVALID_GROUP_ID}
        elif hurt == "member":
            member, expect = rng.choice(["nope", "x" * 1000]), {UNKNOWN_MEMBER_ID}
        elif hurt == "second":
            candidates = [g for g, m in self.members.items()
                          if m["rebalance"] <= 5000 and m["synced"] and not self.expired(m, 4000)]
            if not candidates:
                return
            group = rng.choice(candidates)
            protocols, ptype = self.members[group]["protocols"], "consumer"
        if v >= 5 and rng.random() < 0.3 and hurt not in ("member",):
            self.fresh += 1
            instance = rng.choice(["inst-", "i" * 300]) + str(self.fresh)  # one static member per instance id
        conn = Conn(self.addr, timeout=60)
        try:
            d = self.join(conn, v, group, session, rebalance, member, ptype, protocols, instance)
            where = f"JoinGroup v{v} {hurt} group {group[:12]!r}"
            self.check(step, "joinGroup", d["error"], where, expect)
            if d["error"] == MEMBER_ID_REQUIRED:
                if v < 4 or instance is not None:
                    self.finding(step, f"{where}: MEMBER_ID_REQUIRED below v4 or to a static member")
                if not d["member"]:
                    self.finding(step, f"{where}: MEMBER_ID_REQUIRED without a member id")
                    return
                member = d["member"]
                d = self.join(conn, v, group, session, rebalance, member, ptype, protocols, instance)
                self.check(step, "joinGroup", d["error"], where + " (rejoin with the id given)",
                           {NONE} if expect and NONE in expect else expect)
            if d["error"]:
                return
            if expect is not None and NONE not in expect:
                self.finding(step, f"{where}: accepted, KAFKA.md says {sorted(expect)}")
            if hurt == "second":
                old = self.members.pop(group)
                old_member = old["member"]
                if d["leader"] != d["member"] or d["generation"] != old["generation"] + 1:
                    self.finding(step, f"{where}: the new member joined generation {d['generation']} (was "
                                       f"{old['generation']}), leader {d['leader'] == d['member']}; the old member "
                                       "did not rejoin, so it should have been removed")
                code = self.heartbeat(min(v, 3), group, old["generation"], old_member)
                # a static member that did not rejoin stays (KAFKA.md, Join): its old generation is stale
                self.check(step, "heartbeat", code, f"{where}: Heartbeat of the member that did not rejoin (static: "
                                                    f"{old['instance'] is not None})",
                           {ILLEGAL_GENERATION} if old["instance"] else {UNKNOWN_MEMBER_ID})
            elif d["generation"] != 1 or d["leader"] != d["member"] or len(d["members"]) != 1:
                self.finding(step, f"{where}: a fresh group's only member got generation {d['generation']}, "
                                   f"leader {d['leader'] == d['member']}, {len(d['members'])} members")
            eff_rebalance = session if v == 0 or rebalance < 0 else rebalance
            m = dict(member=d["member"], generation=d["generation"], session=session, rebalance=eff_rebalance,
                     last=self.now(), joined=self.now(), synced=False, instance=instance if v >= 5 else None, v=v, protocols=protocols)
            self.members[group] = m
            if rng.random() < 0.8:
                self.do_sync(step, group, m)
        finally:
            conn.close()

    def do_sync(self, step, group, m):
        rng = self.rng
        v = rng.randrange(4)
        mine = rng.choice([b"", b"a" * 10, rng.randbytes(100 * 1024)])
        assignments = [(m["member"], mine)]
        if rng.random() < 0.5:
            assignments += [("nope", b"x"), (m["member"], b"second"), ("", b"")]
            rng.shuffle(assignments)
        first = next((a for mem, a in assignments if mem == m["member"]), b"")
        gen, member, expect = m["generation"], m["member"], {NONE}
        hurt = rng.choice(["none", "none", "none", "gen", "member"])
        if hurt == "gen":
            gen, expect = rng.choice([gen + 1, -1, I32_MAX, I32_MIN, 0]), {ILLEGAL_GENERATION}
        if hurt == "member":
            member = "nope"
            expect = {FENCED_INSTANCE_ID} if v >= 3 and m["instance"] else {UNKNOWN_MEMBER_ID}
        if self.expired(m) or m["synced"]:
            expect = None
        code, got = self.sync(v, group, gen, member, assignments, m["instance"] if v >= 3 else None)
        self.check(step, "syncGroup", code, f"SyncGroup v{v} {hurt}", expect)
        if code == 0 and hurt == "none":
            m["last"], m["synced"] = self.now(), True
            if got != first and expect is not None:
                self.finding(step, f"SyncGroup v{v}: the leader got an assignment of {len(got or b'')} bytes, it "
                                   f"assigned itself {len(first)} bytes first")

    def step_group_op(self, step):
        rng = self.rng
        op = rng.choice(["heartbeat", "heartbeat", "leave", "sync", "unknown"])
        if op == "unknown" or not self.members:
            v = rng.randrange(4)
            group = rng.choice([self.group_name("ko-u"), rng.choice(HOSTILE_GROUPS)])
            code = self.heartbeat(v, group, rng.choice([0, 1, -1]), rng.choice(["", "nope"]))
            self.check(step, "heartbeat", code, f"Heartbeat v{v} to an unknown group {group[:12]!r}",
                       {UNKNOWN_MEMBER_ID, INVALID_GROUP_ID})
            return
        group = rng.choice(sorted(self.members))
        m = self.members[group]
        if op == "sync":
            self.do_sync(step, group, m)
        elif op == "heartbeat":
            v = rng.randrange(4)
            hurt = rng.choice(["none", "none", "gen", "member"])
            gen, member = m["generation"], m["member"]
            expect = {NONE} if m["synced"] else {NONE, REBALANCE_IN_PROGRESS}
            if hurt == "gen":
                gen, expect = rng.choice([gen + 1, gen - 1, -1, I32_MAX]), {ILLEGAL_GENERATION}
            elif hurt == "member":
                member = rng.choice(["nope", ""])
                # a static member's instance id with another member id: fenced (KAFKA.md, Errors)
                expect = {FENCED_INSTANCE_ID} if v >= 3 and m["instance"] else {UNKNOWN_MEMBER_ID}
            if self.expired(m):
                expect = None
            code = self.heartbeat(v, group, gen, member, m["instance"] if v >= 3 else None)
            self.check(step, "heartbeat", code, f"Heartbeat v{v} {hurt} (synced {m['synced']})", expect)
            if code == 0 and hurt == "none":
                m["last"] = self.now()
            if code == UNKNOWN_MEMBER_ID and hurt == "none":
                self.members.pop(group)
        else:
            v = rng.randrange(4)
            if v < 3:
                body = string(group) + string(m["member"])
            else:
                body = string(group) + array([string(m["member"]) + nstring(m["instance"]),
                                              string("nope") + nstring(None)])
            r = self.call(13, v, body)
            if v >= 1:
                r.i32()
            code = r.i16()
            per = r.array(lambda: (r.string(), r.nstring(), r.i16())) if v >= 3 else []
            r.end()
            expect = None if self.expired(m) else {NONE}
            self.check(step, "leaveGroup", code, f"LeaveGroup v{v}", expect)
            if v >= 3 and code == 0:
                errs = {mid: e for mid, _, e in per}
                if errs.get("nope") != UNKNOWN_MEMBER_ID or (expect and errs.get(m["member"]) != NONE):
                    self.finding(step, f"LeaveGroup v3 per-member errors {errs}, expected NONE for the member and "
                                       "UNKNOWN_MEMBER_ID for an unknown one")
            self.members.pop(group)

    # ---- offsets
    def step_offset_commit(self, step):
        rng = self.rng
        v = rng.randrange(8)
        how = rng.choice(["simple", "simple", "member", "member", "badgen", "simple-on-member", "badname"])
        gen, member, instance = -1, "", None
        if how in ("member", "badgen", "simple-on-member") and self.members and v >= 1:
            group = rng.choice(sorted(self.members))
            m = self.members[group]
            if how != "simple-on-member":
                gen, member = m["generation"], m["member"]
                instance = m["instance"] if v >= 7 else None
            if how == "badgen":
                gen = rng.choice([gen + 1, I32_MAX, 0])
            expect = (None if self.expired(m) or not m["synced"] else
                      {NONE} if how == "member" else {ILLEGAL_GENERATION} if how == "badgen" else {UNKNOWN_MEMBER_ID})
        elif how == "badname":
            group, expect = rng.choice(HOSTILE_GROUPS), {INVALID_GROUP_ID}
        else:
            how = "simple"
            group = rng.choice([self.group_name("ko-s"), "ko-simple"])
            expect = {NONE}
        body = string(group)
        if v >= 1:
            body += i32(gen) + string(member)
        if v >= 7:
            body += nstring(instance)
        if 2 <= v <= 4:
            body += i64(rng.choice([-1, 0, I64_MAX, I64_MIN, 86400000]))
        entries, plans = [], []
        for t in rng.sample(sorted(DATA) + ["ko-nope"], rng.choice([1, 2])):
            parts, used = [], set()
            for _ in range(rng.choice([1, 2, 3])):
                p = rng.choice([0, 1, 2, -1, 5, I32_MAX])
                if p in used:
                    continue
                used.add(p)
                off = rng.choice([0, 1, 7, 1000, I64_MAX, -1, I64_MIN, -2])
                meta = rng.choice([None, "", "m", "é" * 10, "x" * 4096, "x" * 4097, "x" * 30000])
                epoch = rng.choice([-1, -1, 0, 7, -2, I32_MIN, I32_MAX]) if v >= 6 else -1
                e = i32(p) + i64(off)
                if v >= 6:
                    e += i32(epoch)
                if v == 1:
                    e += i64(rng.choice([-1, 0, I64_MAX, I64_MIN]))
                e += nstring(meta)
                parts.append(e)
                if t not in DATA or not 0 <= p < DATA[t]:
                    pe = {UNKNOWN_TOPIC_OR_PARTITION}
                elif off < 0 or off == I64_MAX or epoch < -1:
                    pe = {INVALID_REQUEST} | ({OFFSET_METADATA_TOO_LARGE} if meta and len(meta.encode()) > 4096 else set())
                elif meta is not None and len(meta.encode()) > 4096:
                    pe = {OFFSET_METADATA_TOO_LARGE}
                else:
                    pe = {NONE}
                plans.append(((t, p), off, meta, epoch, pe))
            entries.append(string(t) + array(parts))
        body += array(entries)
        r = self.call(8, v, body)
        if v >= 3:
            r.i32()
        got = {(t, p): code for t, ps in r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16()))))
               for p, code in ps}
        r.end()
        if set(got) != {pl[0] for pl in plans}:
            self.finding(step, f"OffsetCommit v{v} answered {sorted(got)} for {sorted(pl[0] for pl in plans)}")
            return
        request_error = None
        if expect is not None and NONE not in expect:
            request_error = expect
        for tp, off, meta, epoch, pe in plans:
            code = got[tp]
            where = f"OffsetCommit v{v} {how} {group[:12]!r} {tp[0]}/{tp[1]} offset {off} metadata " \
                    f"{None if meta is None else len(meta)} epoch {epoch}"
            want = request_error if request_error else (pe if expect is not None else None)
            if request_error and pe != {NONE}:
                want = request_error | pe
            self.check(step, "offsetCommit", code, where, want)
            if code == 0:
                self.commits[(group, tp[0], tp[1])] = (off, meta, epoch if v >= 6 else -1)
                self.committed_groups = getattr(self, "committed_groups", set()) | {group}

    def offset_fetch(self, v, group, partitions):
        """partitions: {topic: [p]} or None (every one)."""
        body = string(group) + narray(None if partitions is None else [
            string(t) + array([i32(p) for p in ps]) for t, ps in sorted(partitions.items())])
        r = self.call(9, v, body)
        if v >= 3:
            r.i32()
        out = {}
        for t, ps in r.array(lambda: (r.string(), r.array(lambda: (
                r.i32(), r.i64(), r.i32() if v >= 5 else -1, r.nstring(), r.i16())))):
            for p, off, epoch, meta, code in ps:
                out[(t, p)] = (off, epoch, meta, code)
        top = r.i16() if v >= 2 else 0
        r.end()
        return top, out

    def check_offsets(self, step, v, group, got, asked):
        for tp in asked:
            if tp not in got:
                self.finding(step, f"OffsetFetch v{v} {group[:12]!r} lacks {tp}")
                continue
            off, epoch, meta, code = got[tp]
            c = self.commits.get((group,) + tp)
            where = f"OffsetFetch v{v} {group[:12]!r} {tp[0]}/{tp[1]}"
            self.check(step, "offsetFetch", code, where, {NONE} if tp[0] in DATA and tp[1] >= 0 else None)
            if code:
                continue
            if c is None:
                if off != -1 or meta not in ("", None):
                    self.finding(step, f"{where}: never committed, answered {off} {meta!r}; KAFKA.md says -1, \"\"")
            else:
                want_meta = "" if c[1] is None else c[1]
                if off != c[0] or (meta if meta is not None else "") != want_meta:
                    self.finding(step, f"{where}: answered {off} metadata {str(meta)[:20]!r}, committed {c[0]} "
                                       f"metadata {str(c[1])[:20]!r}")
                if c[1] is None and meta is None:
                    self.finding(step, f"{where}: null metadata read back null (KAFKA.md: as \"\")")
                if v >= 5 and epoch != c[2]:
                    self.finding(step, f"{where}: leader epoch {epoch}, committed {c[2]}")

    def step_offset_fetch(self, step):
        rng = self.rng
        v = rng.randrange(6)
        groups = sorted(getattr(self, "committed_groups", set()))
        group = rng.choice(groups) if groups and rng.random() < 0.7 else rng.choice(
            [self.group_name("ko-never"), rng.choice(HOSTILE_GROUPS)])
        mine = sorted({(t, p) for g, t, p in self.commits if g == group})
        if v >= 2 and rng.random() < 0.4:
            top, got = self.offset_fetch(v, group, None)
            self.check(step, "offsetFetch", top, f"OffsetFetch v{v} {group[:12]!r} every partition",
                       {NONE} if group in groups else None)
            if top == 0 and sorted(got) != mine:
                self.finding(step, f"OffsetFetch v{v} of every partition of {group[:12]!r} answered {sorted(got)}, "
                                   f"committed on {mine}")
            self.check_offsets(step, v, group, got, mine)
            return
        asked = set(mine[:3]) | {self.data_tp() for _ in range(2)} | ({("ko-nope", 0)} if rng.random() < 0.2 else set())
        parts = {}
        for t, p in asked:
            parts.setdefault(t, []).append(p)
        top, got = self.offset_fetch(v, group, parts)
        self.check(step, "offsetFetch", top, f"OffsetFetch v{v} {group[:12]!r}",
                   {NONE} if group in groups or group.startswith("ko-never") else None)
        if top == 0:
            self.check_offsets(step, v, group, got, sorted(asked))

    # ---- admin
    def step_create_topics(self, step):
        rng = self.rng
        v = rng.randrange(5)
        validate = v >= 1 and rng.random() < 0.2
        huge = rng.random() < 0.03
        specs = []
        for i in range(rng.choice([1, 1, 2, 3]) if not huge else rng.choice([1000, 3000])):
            name = self.group_name("ko-t") if not huge else f"bad name {i}"
            parts, repl, assign, configs, expect = rng.choice([1, 2, 3]), rng.choice([1, -1]), [], [], {NONE}
            hurt = rng.choice(["none", "none", "none", "exists", "name", "parts", "repl", "assign", "config",
                               "configvalue", "dup"]) if not huge else "name"
            if hurt == "exists":
                name, expect = rng.choice(sorted(DATA)), {TOPIC_ALREADY_EXISTS}
            elif hurt == "name":
                if not huge:
                    name = rng.choice(INVALID_TOPICS)
                expect = {INVALID_TOPIC}
            elif hurt == "parts":
                parts = rng.choice([0, -1, -2, I32_MAX, I32_MIN, 1025])
                expect = ({NONE} if parts == -1 and v >= 4 else {INVALID_PARTITIONS} if parts <= 0 else
                          {INVALID_PARTITIONS, POLICY_VIOLATION})
            elif hurt == "repl":
                repl, expect = rng.choice([0, 2, 3, I16_MAX, -2, -32768]), {INVALID_REPLICATION_FACTOR}
            elif hurt == "assign":
                assign = [i32(0) + array([i32(0)])]
                parts, repl, expect = -1, -1, {INVALID_REQUEST}
            elif hurt == "config":
                configs, expect = [("foo.bar", "1")], {INVALID_CONFIG}
            elif hurt == "configvalue":
                configs = [(rng.choice(["retention.ms", "retention.bytes", "segment.bytes"]),
                            rng.choice(["abc", "", "1e3", "99999999999999999999", " 5"]))]
                expect = {INVALID_CONFIG}
            if hurt == "none" and rng.random() < 0.5:
                configs = [("retention.ms", rng.choice(["60000", "-1", None, str(I64_MAX)])),
                           ("retention.bytes", rng.choice(["-1", "1048576"]))]
            if any(sp[0] == name for sp in specs):  # a name twice in one request: INVALID_REQUEST for each
                expect = {INVALID_REQUEST}
                for sp in specs:
                    if sp[0] == name:
                        sp[5] = {INVALID_REQUEST}
            specs.append([name, parts, repl, assign, configs, expect, hurt])
            if hurt == "dup":
                specs.append([name, 1, 1, [], [], {INVALID_REQUEST}, hurt])
                specs[-2][5] = {INVALID_REQUEST}
        body = array([string(n) + i32(p) + i16(rp) + array(a) + array([string(k) + nstring(val) for k, val in c])
                      for n, p, rp, a, c, _, _ in specs])
        body += i32(rng.choice([30000, 30000, 0, -1, I32_MIN]))
        if v >= 1:
            body += boolean(validate)
        r = self.call(19, v, body)
        if v >= 2:
            r.i32()
        res = r.array(lambda: (r.string(), r.i16(), r.nstring() if v >= 1 else None))
        r.end()
        if len(res) != len(specs):
            self.finding(step, f"CreateTopics v{v} answered {len(res)} topics for {len(specs)}")
            return
        for (name, code, msg), (n, parts, repl, assign, configs, expect, hurt) in zip(res, specs):
            if name != n:
                self.finding(step, f"CreateTopics v{v} answered {name[:20]!r} for {n[:20]!r}")
                continue
            self.check(step, "createTopics", code, f"CreateTopics v{v} {hurt} {name[:20]!r} partitions {parts} "
                                                   f"replication {repl} configs {configs} ({msg})", expect)
            if code == 0 and not validate and name not in DATA:
                self.topics[name] = (parts if parts > 0 else 1, dict(configs))

    def step_delete_topics(self, step):
        rng = self.rng
        v = rng.randrange(4)
        names = []
        if rng.random() < 0.03:
            names = [f"ko-gone-{i}" for i in range(rng.choice([1000, 3000]))]
        else:
            for _ in range(rng.choice([1, 2, 3])):
                n = rng.choice(sorted(self.topics) + ["ko-gone", rng.choice(HOSTILE_TOPICS)]) if self.topics else \
                    rng.choice(["ko-gone", rng.choice(HOSTILE_TOPICS)])
                if n not in names:
                    names.append(n)
        body = array([string(n) for n in names]) + i32(rng.choice([30000, 0, -1]))
        r = self.call(20, v, body)
        if v >= 1:
            r.i32()
        res = r.array(lambda: (r.string(), r.i16()))
        r.end()
        got = dict(res)
        if sorted(got) != sorted(names):
            self.finding(step, f"DeleteTopics v{v} answered {len(got)} names for {len(names)}")
            return
        for n in names:
            want = ({NONE} if n in self.topics else {UNKNOWN_TOPIC_OR_PARTITION} if n.startswith("ko-gone") else
                    {UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC} if n in INVALID_TOPICS else None)  # maybe auto-created
            self.check(step, "deleteTopics", got[n], f"DeleteTopics v{v} {n[:20]!r}", want)
            if got[n] == 0:
                self.topics.pop(n, None)

    def step_describe_configs(self, step):
        rng = self.rng
        v = rng.randrange(3)
        res = []
        for _ in range(rng.choice([1, 2, 3])):
            kind = rng.choice(["topic", "topic", "broker", "unknown", "type"])
            keys = rng.choice([None, None, ["retention.ms"], ["nope", "segment.bytes"], []])
            if kind == "topic":
                name = rng.choice(sorted(DATA) + sorted(self.topics))
                res.append((2, name, keys, {NONE}))
            elif kind == "broker":
                res.append((4, rng.choice(["0", ""]), keys, {NONE}))
            elif kind == "unknown":
                res.append((2, rng.choice(["ko-gone", "bad name"]), keys, {UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC}))
            else:
                res.append((rng.choice([0, 1, 3, -1, 127, 5]), "x", keys, {INVALID_REQUEST}))
        body = array([i8(t) + string(n) + narray(None if k is None else [string(x) for x in k]) for t, n, k, _ in res])
        if v >= 1:
            body += boolean(rng.random() < 0.5)
        r = self.call(32, v, body)
        r.i32()

        def config():
            d = dict(name=r.string(), value=r.nstring(), ro=r.boolean())
            d["src"] = r.boolean() if v == 0 else r.i8()
            r.boolean()
            if v >= 1:
                r.array(lambda: (r.string(), r.nstring(), r.i8()))
            return d
        out = r.array(lambda: (r.i16(), r.nstring(), r.i8(), r.string(), r.array(config)))
        r.end()
        if len(out) != len(res):
            self.finding(step, f"DescribeConfigs v{v} answered {len(out)} resources for {len(res)}")
            return
        for (code, msg, rtype, name, configs), (t, n, keys, expect) in zip(out, res):
            where = f"DescribeConfigs v{v} type {t} {n[:20]!r} keys {keys} ({msg})"
            if (rtype, name) != (t, n):
                self.finding(step, f"{where}: answered for type {rtype} {name[:20]!r}")
            self.check(step, "describeConfigs", code, where, expect)
            if code:
                continue
            names = [c["name"] for c in configs]
            if keys is not None and keys and not set(names) <= set(keys):
                self.finding(step, f"{where}: answered {names} for the keys {keys}")
            if not keys and not names:  # KAFKA.md: only the keys asked for "when the request names some"
                self.finding(step, f"{where}: no keys answered for a request that names none")
            vals = {c["name"]: c["value"] for c in configs}
            if t == 2 and n in self.topics and "retention.ms" in vals:
                want = self.topics[n][1].get("retention.ms")
                if want is not None and vals["retention.ms"] != want:
                    self.finding(step, f"{where}: retention.ms {vals['retention.ms']}, created with {want}")

    # ---- liveness and the final checks
    def alive(self, step):
        try:
            c = Conn(self.addr, timeout=20)
            try:
                r = self.call(18, 0, b"", c)
                if r.i16():
                    self.finding(step, "ApiVersions v0 on a fresh connection answered an error")
            finally:
                c.close()
        except Closed as e:
            raise Finding(f"step {step}: a fresh connection got no answer to ApiVersions: {e}")
        except OSError as e:
            raise Finding(f"step {step}: cannot connect to the Kafka listener: {e}")

    def run_step(self, step):
        kind = self.rng.choices(
            ["apiVersions", "unserved", "pipeline", "metadata", "produce", "fetch", "listOffsets", "initProducerId",
             "findCoordinator", "join", "groupOp", "offsetCommit", "offsetFetch", "createTopics", "deleteTopics",
             "describeConfigs"],
            [4, 2, 2, 6, 30, 12, 6, 3, 2, 5, 6, 8, 6, 4, 3, 3])[0]
        fn = getattr(self, "step_" + {"apiVersions": "api_versions", "listOffsets": "list_offsets",
                                      "initProducerId": "init_producer", "findCoordinator": "find_coordinator",
                                      "groupOp": "group_op", "offsetCommit": "offset_commit",
                                      "offsetFetch": "offset_fetch", "createTopics": "create_topics",
                                      "deleteTopics": "delete_topics", "describeConfigs": "describe_configs"}.get(kind, kind))
        if os.environ.get("KO_TRACE"):
            print(f"step {step}: {kind}", flush=True)
        try:
            fn(step)
        except Closed as e:
            self.finding(step, f"{kind}: {e} (every request sent was valid and served: KAFKA.md gives no reason)")
            self.reconnect()
        except Short as e:
            self.finding(step, f"{kind}: the response does not decode as Kafka's spec says: {e}")
            self.reconnect()
        self.alive(step)

    def verify(self):
        """Every acknowledged batch is at its offset, byte for byte; every accepted commit reads back."""
        c = Conn(self.addr, timeout=60)
        checked = 0
        for (t, p), want in sorted(self.acked.items()):
            pos, end, seen = min(want), self.end_offset(t, p), set()
            while pos < end:
                body = (i32(-1) + i32(0) + i32(0) + i32(8 << 20) + i8(0) + i32(0) + i32(-1)
                        + array([string(t) + array([i32(p) + i32(-1) + i64(pos) + i64(-1) + i32(8 << 20)])])
                        + array([]) + string(""))
                r = self.call(1, 11, body, c)
                r.i32(); r.i16(); r.i32()
                (_, ((_, code, hw, _, _, _, _, recs),)), = r.array(lambda: (r.string(), r.array(lambda: (
                    r.i32(), r.i16(), r.i64(), r.i64(), r.i64(), r.narray(lambda: (r.i64(), r.i64())), r.i32(),
                    r.nbytes()))))
                batches = split_batches(recs or b"")
                if code or not batches:
                    self.findings.append(f"final fetch {t}/{p}@{pos}: error {code}, high watermark {hw}, "
                                         f"{len(recs or b'')} bytes")
                    break
                for base, n, b in batches:
                    if base in want:
                        seen.add(base)
                        self.compare("final", f"final fetch {t}/{p}", t, p, b)
                    pos = max(pos, base + max(n, 1))
            for o in sorted(want):
                checked += 1
                if o not in seen:
                    self.findings.append(f"acknowledged batch {t}/{p}@{o} was not fetched back")
        groups = {}
        for (g, t, p), val in self.commits.items():
            groups.setdefault(g, {})[(t, p)] = val
        for g, tps in sorted(groups.items()):
            _, got = self.offset_fetch(5, g, None)
            for tp, (off, meta, epoch) in tps.items():
                if tp not in got or got[tp][0] != off or (got[tp][2] or "") != (meta or "") or got[tp][1] != epoch:
                    self.findings.append(f"committed offset {g}/{tp}: read back {got.get(tp)}, committed "
                                         f"{(off, str(meta)[:20], epoch)}")
        c.close()
        return checked, len(self.commits)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--brokerd", help="path of a brokerd to start on ephemeral ports with a fresh data directory")
    g.add_argument("--broker", help="HOST:PORT of a running broker's Kafka listener (--auto-create-topics, "
                                    "--kafka-initial-rebalance-delay-ms 0)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    print(f"outside-kafka-client: seed {seed}, steps {a.steps}", flush=True)
    proc, tmp, logpath = None, None, None
    if a.brokerd:
        tmp = tempfile.mkdtemp(prefix="outside-kafka-client-")
        os.mkdir(os.path.join(tmp, "data"))
        proc, addr, logpath = start_broker(a.brokerd, os.path.join(tmp, "data"),
                                           ["--kafka-listen", "127.0.0.1:0", "--auto-create-topics",
                                            "--kafka-initial-rebalance-delay-ms", "0"], "Kafka listener")
    else:
        host, port = a.broker.rsplit(":", 1)
        addr = (host, int(port))
    log = (lambda s: None) if a.quiet else (lambda s: print(s, flush=True))
    f = Fuzzer(addr, random.Random(seed), log)
    started = time.time()
    checked = commits = 0
    try:
        for t, n in DATA.items():
            r = f.call(19, 4, array([string(t) + i32(n) + i16(1) + array([]) + array([])]) + i32(30000) + boolean(False))
            r.i32(); r.array(lambda: (r.string(), r.i16(), r.nstring()))
        for step in range(1, a.steps + 1):
            f.run_step(step)
            if proc and proc.poll() is not None:
                raise Finding(f"step {step}: brokerd exited with {proc.returncode}")
        checked, commits = f.verify()
    except Finding as e:
        f.findings.append(str(e))
    except (Closed, Short) as e:
        f.findings.append(f"final checks: {e}")
    elapsed = time.time() - started
    if proc:
        stop_broker(proc, "outside-kafka-client", f.findings)
        if f.findings:
            print("brokerd log tail:\n" + open(logpath, "rb").read()[-3000:].decode(errors="replace"))
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"outside-kafka-client: seed {seed}, {a.steps} steps, {f.requests} requests, {f.acked_records} records "
          f"acknowledged in {sum(len(x) for x in f.acked.values())} batches, {checked} batches fetched back and "
          f"compared, {commits} committed offsets read back, {len(f.findings)} findings, {elapsed:.1f} s")
    for key, gap in sorted(f.gaps.items()):
        print("  not in KAFKA.md: " + gap)
    for x in f.findings:
        print("  finding: " + x)
    if f.findings:
        target = f"--brokerd {a.brokerd}" if a.brokerd else f"--broker {a.broker}"
        print(f"  replay: python3 {sys.argv[0]} {target} --seed {seed} --steps {a.steps}")
    sys.exit(1 if f.findings else 0)


if __name__ == "__main__":
    main()
