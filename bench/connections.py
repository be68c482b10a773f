"""Benchmark 7: held connections.

`mindset-bot run --no-scheduler` (HTTP, SQLite, the fake Slack in its own process) while this process
holds `--connections` TCP connections to it (5,000 by default), in four phases:

- **burst**: the connections are opened all at once (the server accepts them all);
- **idle**: they are held and send nothing;
- **slow**: they are held and each sends one byte of a request head a second;
- **after**: they are closed.

The bot closes a connection that brings no complete request head within HTTP_IDLE_TIMEOUT (10 s); this
process opens a new one for each one closed, so the count stays at `--connections` throughout. Meanwhile
a signed `/proud` goes out every 100 ms, each on a new connection, and is timed from connect to answer
(Slack gives up after 3 s). Every answer must say "Saved your proud"; the entries are counted afterwards.
"""

from __future__ import annotations

import contextlib
import resource
import secrets
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    Options,
    ProudLoad,
    Section,
    Target,
    facts_block,
    fmt_ms,
    machine_facts,
    percentile,
    table,
)
from bench.procs import FakeSlackProc, count_entries, launch_bot, reader_engine, rss_kib, sqlite_url, wait_healthy

SLACK_LIMIT = 3.0
PROBE_INTERVAL = 0.1
SLOW_HEAD = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: " + b"a" * 100_000


@dataclass
class Phase:
    name: str
    held: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reopened: int = 0
    rss_mib: float = 0.0
    fds: int = 0


class Holder:
    """`count` connections to the bot, kept at that count: each one the bot closes is opened again."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.count = count
        self.selector = selectors.DefaultSelector()
        self.sockets: set[socket.socket] = set()
        self.reopened = 0
        self.slow = False
        self._position: dict[socket.socket, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open_all(self) -> None:
        while len(self.sockets) < self.count:
            self._open_one()

    def _open_one(self) -> None:
        sock = socket.socket()
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.connect(("127.0.0.1", self.port))
        self.sockets.add(sock)
        self._position[sock] = 0
        self.selector.register(sock, selectors.EVENT_READ)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="holder", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_drip = time.monotonic() + 1.0
        while not self._stop.is_set():
            for key, _ in self.selector.select(timeout=0.05):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    closed = sock.recv(65536) == b""
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                if closed:
                    self._drop(sock)
                    self._open_one()
                    self.reopened += 1
            if self.slow and time.monotonic() >= next_drip:
                next_drip += 1.0
                for sock in list(self.sockets):
                    position = self._position[sock]
                    with contextlib.suppress(OSError):
                        sock.send(SLOW_HEAD[position : position + 1])
                    self._position[sock] = position + 1

    def _drop(self, sock: socket.socket) -> None:
        self.selector.unregister(sock)
        self.sockets.discard(sock)
        self._position.pop(sock, None)
        sock.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        for sock in list(self.sockets):
            self._drop(sock)
        self.selector.close()


def _signed_proud(load: ProudLoad, index: int, port: int) -> tuple[float, str | None]:
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            sock.sendall(load.build(index))
            data = b""
            while b"Saved your proud" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return time.perf_counter() - started, f"closed: {data[:120]!r}"
                data += chunk
                if data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 200") and b"\r\n\r\n" in data:
                    return time.perf_counter() - started, data[:120].decode(errors="replace")
        return time.perf_counter() - started, None
    except OSError as error:
        return time.perf_counter() - started, f"{type(error).__name__}: {error}"


def _probe(phase: Phase, load: ProudLoad, port: int, next_index: list[int], seconds: float, pid: int) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latency, failure = _signed_proud(load, next_index[0], port)
        next_index[0] += 1
        phase.latencies.append(latency)
        if failure:
            phase.failures.append(failure)
        time.sleep(max(0.0, PROBE_INTERVAL - latency))
    phase.rss_mib = rss_kib(pid) / 1024
    phase.fds = len(list(Path(f"/proc/{pid}/fd").iterdir()))


def run(options: Options) -> Section:
    workdir = options.workdir / "connections"
    workdir.mkdir(parents=True, exist_ok=True)
    count = options.connections
    seconds = options.hold_seconds
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    facts = machine_facts(None)
    secret = secrets.token_hex(16)
    fake = FakeSlackProc(workdir)
    bot = launch_bot("bot", fake, signing_secret=secret, database_url=sqlite_url(workdir / "bot.db"), workdir=workdir)
    phases: list[Phase] = []
    next_index = [0]
    try:
        wait_healthy(bot.health_url(), bot.proc)
        load = ProudLoad("C7", total=100_000, signing_secret=secret, port=bot.port, response_url=fake.response_url("x"))
        baseline = Phase("before", "none")
        _probe(baseline, load, bot.port, next_index, min(seconds, 5.0), bot.pid)
        phases.append(baseline)

        holder = Holder(bot.port, count)
        burst = Phase("burst", f"{count:,} opened at once")
        opener = threading.Thread(target=holder.open_all)
        opener.start()
        _probe(burst, load, bot.port, next_index, 3.0, bot.pid)
        opener.join()
        phases.append(burst)
        holder.start()
        idle = Phase("idle", f"{count:,} idle")
        _probe(idle, load, bot.port, next_index, seconds, bot.pid)
        idle.reopened = holder.reopened
        phases.append(idle)
        holder.slow = True
        slow = Phase("slow", f"{count:,} sending a byte a second")
        _probe(slow, load, bot.port, next_index, seconds, bot.pid)
        slow.reopened = holder.reopened - idle.reopened
        phases.append(slow)
        holder.close()
        after = Phase("after", "none (closed)")
        _probe(after, load, bot.port, next_index, min(seconds, 5.0), bot.pid)
        phases.append(after)
        alive = bot.proc.popen.poll() is None
        answered = sum(len(phase.latencies) - len(phase.failures) for phase in phases)
        stored, _posted = count_entries(reader_engine(bot.database_url or ""), load.team)
    finally:
        bot.proc.stop()
        fake.stop()
    return _section(options, facts, phases, alive=alive, answered=answered, stored=stored)


def _section(
    options: Options, facts: list[tuple[str, str]], phases: list[Phase], *, alive: bool, answered: int, stored: int
) -> Section:
    rows = []
    for phase in phases:
        ordered = sorted(phase.latencies)
        within = sum(1 for latency in ordered if latency <= SLACK_LIMIT)
        rows.append(
            [
                phase.name,
                phase.held,
                f"{len(ordered):,}",
                f"{len(ordered) - len(phase.failures):,}",
                fmt_ms(percentile(ordered, 0.5)),
                fmt_ms(percentile(ordered, 0.99)),
                fmt_ms(ordered[-1]) if ordered else "–",
                f"{within:,}",
                f"{phase.reopened:,}",
                f"{phase.rss_mib:.0f}",
                f"{phase.fds:,}",
            ]
        )
    held_phases = [phase for phase in phases if phase.name in ("idle", "slow")]
    in_time = all(latency <= SLACK_LIMIT for phase in held_phases for latency in phase.latencies)
    no_failures = all(not phase.failures for phase in phases)
    targets = [
        Target(
            f"signed requests answered within {SLACK_LIMIT:.0f} s while {options.connections:,} idle or slow "
            "connections are held",
            in_time and no_failures,
            f"{sum(len(p.latencies) for p in held_phases):,} requests, slowest "
            f"{fmt_ms(max((max(p.latencies) for p in held_phases if p.latencies), default=float('nan')))} ms",
        ),
        Target("the bot stays up and every answered request is stored", alive and stored == answered, f"{stored:,}"),
    ]
    failures = [f"{phase.name}: {failure}" for phase in phases for failure in phase.failures[:3]]
    parts = [
        "## 7. Held connections",
        facts_block(facts, options.command),
        f"`mindset-bot run --no-scheduler` (HTTP, SQLite, defaults: HTTP_IDLE_TIMEOUT 10 s) while this process holds "
        f"{options.connections:,} TCP connections to it; those the bot closes (no request head within 10 s) are "
        f"opened again at once. A signed `/proud` every {PROBE_INTERVAL * 1000:.0f} ms on a new connection, timed "
        "from connect to answer. Phases of "
        f"{options.hold_seconds:.0f} s (burst: 3 s; before and after: 5 s). RSS and open files are the bot's at the "
        "end of each phase; reopened: connections the bot closed during the phase.",
        table(
            [
                "phase",
                "held",
                "sent",
                "answered",
                "p50 (ms)",
                "p99 (ms)",
                "max (ms)",
                f"≤ {SLACK_LIMIT:.0f} s",
                "reopened",
                "RSS (MiB)",
                "open files",
            ],
            rows,
        ),
        "\n".join(f"- {target.what}: {target.mark} ({target.detail})" for target in targets),
    ]
    if failures:
        parts.append("Failures (first three per phase):\n" + "\n".join(f"- `{failure}`" for failure in failures))
    return Section("\n\n".join(parts), targets)
