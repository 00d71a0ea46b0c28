"""What the two outside clients share, neither protocol's own: big-endian integers, CRC-32C, the
RecordBatch v2 layout (records with zigzag varints; docs/STORAGE.md and Kafka's spec describe the
same bytes), a reader with the primitives both protocols use, length-prefixed framing over a
socket, and starting and stopping the brokerd under test.

scripts/outside-client.py (the native protocol, from docs/PROTOCOL.md) and
scripts/outside-kafka-client.py (the Kafka listener, from docs/KAFKA.md) keep their protocols'
strings, arrays, headers and error codes to themselves. Python's standard library only.
"""
import gzip, os, re, socket, struct, subprocess, sys, time

I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1

# ---------------------------------------------------------------- CRC-32C (Castagnoli)
_T = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _T.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# ---------------------------------------------------------------- encoding
def i8(v): return struct.pack(">b", v)
def u8(v): return struct.pack(">B", v)
def i16(v): return struct.pack(">h", v)
def u16(v): return struct.pack(">H", v)
def i32(v): return struct.pack(">i", v)
def u32(v): return struct.pack(">I", v)
def i64(v): return struct.pack(">q", v)


def uvarint(z):
    out = bytearray()
    while True:
        if z < 0x80:
            out.append(z)
            return bytes(out)
        out.append((z & 0x7F) | 0x80)
        z >>= 7


def varlong(v):
    """A zigzag varint, as a record's fields are written."""
    return uvarint(((v << 1) ^ (v >> 63)) & ((1 << 64) - 1))


def varbytes(b): return varlong(-1) if b is None else varlong(len(b)) + b


def record(offset_delta, ts_delta, key, value, headers):
    body = (i8(0) + varlong(ts_delta) + varlong(offset_delta) + varbytes(key) + varbytes(value)
            + varlong(len(headers)) + b"".join(varbytes(hk) + varbytes(hv) for hk, hv in headers))
    return varlong(len(body)) + body


def batch(records, base_ts, max_ts, pid=-1, epoch=-1, seq=-1, count=None, codec=0, base_offset=0,
          leader_epoch=-1, last_delta=None):
    """A RecordBatch v2 (STORAGE.md "Batch header (61 bytes)", Kafka's "Record Batch").
    records: list of (ts_delta, key, value, headers). codec 1 gzips the records; any other non-zero
    codec keeps them as they are (the bytes do not matter: the broker must refuse the batch)."""
    recs = b"".join(record(i, d, k, v, h) for i, (d, k, v, h) in enumerate(records))
    if codec == 1:
        recs = gzip.compress(recs)
    n = len(records) if count is None else count
    ld = max(len(records), 1) - 1 if last_delta is None else last_delta
    after_crc = i16(codec) + i32(ld) + i64(base_ts) + i64(max_ts) + i64(pid) + i16(epoch) + i32(seq) + i32(n) + recs
    after_len = i32(leader_epoch) + i8(2) + u32(crc32c(after_crc)) + after_crc
    return i64(base_offset) + i32(len(after_len)) + after_len


# ---------------------------------------------------------------- decoding
class Short(Exception):
    pass


class Reader:
    """The primitives both protocols read; each client's subclass adds its strings and arrays."""

    def __init__(self, b): self.b, self.p = b, 0

    def take(self, n):
        if n < 0 or self.p + n > len(self.b):
            raise Short(f"wanted {n} bytes at {self.p} of {len(self.b)}")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def f(self, fmt): return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
    def i8(self): return self.f(">b")
    def u8(self): return self.f(">B")
    def i16(self): return self.f(">h")
    def i32(self): return self.f(">i")
    def u32(self): return self.f(">I")
    def i64(self): return self.f(">q")

    def nbytes(self):
        n = self.i32()
        return None if n == -1 else self.take(n)

    def end(self):
        if self.p != len(self.b):
            raise Short(f"{len(self.b) - self.p} trailing bytes")

    def uvarint(self):
        z, shift = 0, 0
        while True:
            b = self.take(1)[0]
            z |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return z

    def varint(self):
        """A zigzag varint."""
        z = self.uvarint()
        return (z >> 1) ^ -(z & 1)

    def varbytes(self):
        n = self.varint()
        return None if n < 0 else self.take(n)


# ---------------------------------------------------------------- connection
class Closed(Exception):
    pass


class FramedSocket:
    """A connection whose frames in both directions are a 4-byte big-endian size and that many bytes."""

    def __init__(self, addr, timeout):
        self.s = socket.create_connection(addr, timeout=10)
        self.s.settimeout(timeout)
        self.buf = b""

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send_frame(self, frame):
        try:
            self.s.sendall(u32(len(frame)) + frame)
        except OSError as e:
            raise Closed(f"send: {e}")

    def _frame(self):
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    f, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return f
            try:
                chunk = self.s.recv(1 << 20)
            except socket.timeout:
                raise Closed("no response within the timeout")
            except OSError as e:
                raise Closed(f"recv: {e}")
            if not chunk:
                raise Closed("connection closed by the broker")
            self.buf += chunk


# ---------------------------------------------------------------- the broker under test
def start_broker(path, data_dir, args, listener, timeout=60):
    """Starts brokerd on ephemeral ports; returns (process, (host, port), log path), the port from the
    first log line that contains `listener` and an address."""
    log = open(os.path.join(data_dir, "..", "brokerd.log"), "wb")
    p = subprocess.Popen([path, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--data-dir", data_dir]
                         + args, stdout=log, stderr=log)
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = open(log.name, "rb").read().decode(errors="replace")
        for line in text.splitlines():
            m = re.findall(r"127\.0\.0\.1:(\d+)", line) if listener in line else None
            if m:
                return p, ("127.0.0.1", int(m[-1])), log.name
        if p.poll() is not None:
            sys.exit(f"brokerd exited with {p.returncode}:\n{text}")
        time.sleep(0.05)
    p.kill()
    sys.exit(f"brokerd did not log '{listener}' with an address within {timeout} s")


# What brokerd may hold after a run of hostile requests: far above what a run takes (about 40 MiB for
# 300 steps), far below what a request the broker failed to bound would make it hold. Descriptors are
# printed, not bounded: they grow with the topics a run creates (three files per partition).
MAX_RESIDENT_MIB = 512


def stop_broker(proc, name, findings):
    """Prints the broker's resident memory (a finding above MAX_RESIDENT_MIB) and descriptors, then
    stops it with SIGTERM (a finding if it does not stop within 30 s)."""
    if proc.poll() is not None:
        return
    try:
        rss = re.search(r"VmRSS:\s+(\d+) kB", open(f"/proc/{proc.pid}/status").read())
        fds = len(os.listdir(f"/proc/{proc.pid}/fd"))
        resident = int(rss.group(1)) // 1024
        print(f"{name}: brokerd resident {resident} MiB, {fds} open descriptors")
        if resident > MAX_RESIDENT_MIB:
            findings.append(f"brokerd holds {resident} MiB after the run (bound {MAX_RESIDENT_MIB} MiB)")
    except (OSError, AttributeError):
        pass
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        findings.append("brokerd did not stop within 30 s of SIGTERM")
