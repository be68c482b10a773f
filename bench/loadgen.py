"""A small closed-loop HTTP/1.1 load generator: one thread, non-blocking sockets, persistent connections.

Each of `concurrency` connections sends a request, waits for the whole response, then sends the next
one, until `total` requests were answered. Requests are built at send time by a factory (so Slack
signatures carry a fresh timestamp however long the run is); signing is one HMAC, a few microseconds.
The loop parses only what it needs (status line, Content-Length or chunked framing, Connection),
so one process can keep a Python server on the same machine busy without being the bottleneck;
its own CPU time is measured and reported alongside the results.
"""

from __future__ import annotations

import errno
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[int], bytes]
# Given the request's index, the status and the body, None when the answer is right, else what is wrong.
Check = Callable[[int, int, bytes], str | None]


@dataclass
class LoadResult:
    total: int
    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests only
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0  # first send to last answer
    loadgen_cpu: float = 0.0  # CPU seconds this process spent
    ended_at: float = 0.0  # time.time() of the last answer

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.answered / self.wall if self.wall > 0 else 0.0


class _Conn:
    __slots__ = ("sock", "index", "sent_at", "buf", "pending")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.index = -1
        self.sent_at = 0.0
        self.buf = bytearray()
        self.pending = b""


class _Incomplete(Exception):
    pass


def _parse(buf: bytearray) -> tuple[int, bytes, bool, int] | None:
    """(status, body, keep_alive, bytes used) when `buf` holds a whole response, else None."""
    head_end = buf.find(b"\r\n\r\n")
    if head_end < 0:
        return None
    head = bytes(buf[:head_end]).decode("latin-1")
    lines = head.split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    length: int | None = None
    chunked = False
    keep_alive = parts[0] == "HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        value = value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection":
            keep_alive = value == "keep-alive" if parts[0] != "HTTP/1.1" else value != "close"
    start = head_end + 4
    if chunked:
        try:
            body, used = _dechunk(buf, start)
        except _Incomplete:
            return None
        return status, body, keep_alive, used
    if length is None:
        length = 0 if status in (204, 304) or 100 <= status < 200 else -1
    if length < 0:
        return None  # read to close: not expected from waitress; treated as incomplete until closed
    if len(buf) < start + length:
        return None
    return status, bytes(buf[start : start + length]), keep_alive, start + length


def _dechunk(buf: bytearray, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            raise _Incomplete
        size = int(bytes(buf[pos:line_end]).split(b";", 1)[0], 16)
        pos = line_end + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n\r\n", pos - 2)
            if trailer_end < 0:
                raise _Incomplete
            return bytes(out), trailer_end + 4
        if len(buf) < pos + size + 2:
            raise _Incomplete
        out += buf[pos : pos + size]
        pos += size + 2


def run_load(
    host: str,
    port: int,
    *,
    total: int,
    concurrency: int,
    build: RequestFactory,
    check: Check,
    timeout: float = 30.0,
) -> LoadResult:
    """Send `total` requests over `concurrency` persistent connections; every answer is checked."""
    result = LoadResult(total=total, concurrency=concurrency)
    selector = selectors.DefaultSelector()
    conns: list[_Conn] = []
    next_index = 0
    outstanding = 0

    def connect() -> _Conn:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        conn = _Conn(sock)
        selector.register(sock, selectors.EVENT_READ, conn)
        return conn

    def send_next(conn: _Conn) -> None:
        nonlocal next_index, outstanding
        if next_index >= total:
            return
        conn.index = next_index
        next_index += 1
        outstanding += 1
        data = build(conn.index)
        conn.sent_at = time.perf_counter()
        try:
            sent = conn.sock.send(data)
        except BlockingIOError:
            sent = 0
        if sent < len(data):
            conn.pending = data[sent:]
            selector.modify(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn)

    def replace(conn: _Conn, reason: str | None) -> None:
        """The connection broke (or the server closes it): count the request in flight, go on with a new one."""
        nonlocal outstanding
        if reason is not None and conn.index >= 0:
            result.errors.append(f"request {conn.index}: {reason}")
            outstanding -= 1
        selector.unregister(conn.sock)
        conn.sock.close()
        conns.remove(conn)
        if next_index < total:
            fresh = connect()
            conns.append(fresh)
            send_next(fresh)

    for _ in range(min(concurrency, total)):
        conns.append(connect())
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for conn in list(conns):
        send_next(conn)
    last_progress = time.perf_counter()
    while outstanding > 0:
        events = selector.select(timeout=1.0)
        now = time.perf_counter()
        if not events:
            if now - last_progress > timeout:
                for conn in list(conns):
                    if conn.index >= 0:
                        result.errors.append(f"request {conn.index}: no answer in {timeout:.0f} s")
                        outstanding -= 1
                        conn.index = -1
                break
            continue
        for key, mask in events:
            conn = key.data
            assert isinstance(conn, _Conn)
            if mask & selectors.EVENT_WRITE and conn.pending:
                try:
                    sent = conn.sock.send(conn.pending)
                    conn.pending = conn.pending[sent:]
                except BlockingIOError:
                    pass
                except OSError as error:
                    replace(conn, f"send failed: {error}")
                    continue
                if not conn.pending:
                    selector.modify(conn.sock, selectors.EVENT_READ, conn)
            if not mask & selectors.EVENT_READ:
                continue
            try:
                chunk = conn.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    continue
                replace(conn, f"receive failed: {error}")
                continue
            if not chunk:
                replace(conn, "connection closed before the answer" if conn.index >= 0 else None)
                continue
            conn.buf += chunk
            try:
                parsed = _parse(conn.buf)
            except (ValueError, IndexError) as error:
                replace(conn, f"unreadable answer: {error}")
                continue
            if parsed is None:
                continue
            status, body, keep_alive, used = parsed
            finished = time.perf_counter()
            last_progress = finished
            del conn.buf[:used]
            problem = check(conn.index, status, body)
            outstanding -= 1
            if problem is None:
                result.latencies.append(finished - conn.sent_at)
            else:
                result.errors.append(f"request {conn.index}: {problem}")
            conn.index = -1
            if keep_alive:
                send_next(conn)
            else:
                replace(conn, None)
    result.wall = time.perf_counter() - t0
    result.ended_at = time.time()
    result.loadgen_cpu = time.process_time() - cpu0
    for conn in conns:
        selector.unregister(conn.sock)
        conn.sock.close()
    selector.close()
    return result
