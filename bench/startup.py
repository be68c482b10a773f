"""Benchmark 4: start-up and footprint.

Start-up: from launching `mindset-bot run --no-scheduler` (HTTP mode, a fresh SQLite database, the fake
Slack in its own process) to the first `GET /healthz` 200 and to the first signed `/proud` answered.
Footprint: the bot's resident memory (VmRSS) after its first request, after N and after 2N `/proud`
requests (concurrency 10, background posts drained each time), and whether it grew from N to 2N.
"""

from __future__ import annotations

import http.client
import math
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    Options,
    ProudLoad,
    Section,
    Target,
    facts_block,
    fmt_ms,
    fmt_num,
    machine_facts,
    median,
    table,
)
from bench.loadgen import run_load
from bench.procs import (
    FakeSlackProc,
    count_entries,
    free_port,
    hwm_kib,
    launch_bot,
    reader_engine,
    rss_kib,
    sqlite_url,
)

POLL = 0.005  # how often a launch is asked whether it answers yet
BATCH = 2000  # footprint requests are sent in batches, draining the posts after each
FOOTPRINT_CONCURRENCY = 10
GROWTH_TOLERANCE_MIB = 2.0  # RSS changes below this between N and 2N count as "no growth"


@dataclass
class Launch:
    health: float  # seconds from launch to /healthz 200
    first_proud: float  # seconds from launch to the first /proud answered
    proud_latency: float  # that request's own latency
    rss_mib: float  # after the first /proud
    phases: dict[str, float]  # seconds per start-up phase, from the bot's log


# Start-up phases, each ending at the first log line that contains the marker (None: the /healthz answer).
PHASES: tuple[tuple[str, str | None], ...] = (
    ("interpreter, imports, settings, engine", "alembic.runtime.migration"),
    ("migrations of the fresh database, auth.test", "Connected to Slack"),
    ("building the app, binding the port", "Serving Slack on"),
    ("until `/healthz` answers", None),
)
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")


def _phases(log_lines: list[str], launched_at: float, healthy_at: float) -> dict[str, float]:
    """How long each phase took, from the timestamps of the bot's log lines (millisecond resolution)."""
    marks: dict[str, float] = {}
    for line in log_lines:
        match = LOG_TIME.match(line)
        if not match:
            continue
        at = time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")) + int(match.group(2)) / 1000
        for _name, marker in PHASES:
            if marker is not None and marker in line and marker not in marks:
                marks[marker] = at
    phases: dict[str, float] = {}
    previous = launched_at
    for name, marker in PHASES:
        end = healthy_at if marker is None else marks.get(marker)
        if end is None:
            return {}
        phases[name] = max(0.0, end - previous)
        previous = end
    return phases


def _health_ok(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/healthz")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def _launch_once(fake: FakeSlackProc, workdir: Path, label: str, secret: str) -> Launch:
    port = free_port()
    database = workdir / f"{label}.db"
    launched_at = time.time()
    t0 = time.perf_counter()
    server = launch_bot(
        label, fake, signing_secret=secret, database_url=sqlite_url(database), workdir=workdir, port=port
    )
    try:
        deadline = t0 + 60
        while not _health_ok(port):
            if server.proc.popen.poll() is not None:
                raise RuntimeError(f"{label} exited with {server.proc.popen.returncode}; see {server.proc.log_path}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{label} did not answer /healthz within 60 s")
            time.sleep(POLL)
        health = time.perf_counter() - t0
        healthy_at = time.time()
        load = ProudLoad(label, total=1, signing_secret=secret, port=port, response_url=fake.response_url(label))
        result = run_load("127.0.0.1", port, total=1, concurrency=1, build=load.build, check=load.check_bot)
        if result.errors:
            raise RuntimeError(f"{label}: first /proud failed: {result.errors[0]}")
        first = time.perf_counter() - t0
        rss = rss_kib(server.pid) / 1024
    finally:
        server.proc.stop()
    return Launch(
        health=health,
        first_proud=first,
        proud_latency=result.latencies[0],
        rss_mib=rss,
        phases=_phases(server.proc.log_lines(), launched_at, healthy_at),
    )


def import_times() -> list[tuple[str, float]]:
    """Seconds `import bot.cli` spends in each top-level package (python -X importtime), largest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import bot.cli"], capture_output=True, text=True, check=True
    )
    per_package: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        top = parts[2].strip().split(".")[0]
        # self time of every module, summed per top-level package: nested imports are counted once
        per_package[top] = per_package.get(top, 0.0) + int(parts[0].split(":")[1]) / 1e6
    return sorted(per_package.items(), key=lambda item: -item[1])


@dataclass
class Step:
    requests: int
    rss_mib: float
    hwm_mib: float
    drain: float
    rps: float


def _footprint(options: Options, fake: FakeSlackProc, workdir: Path, secret: str, notes: list[str]) -> list[Step]:
    server = launch_bot(
        "footprint", fake, signing_secret=secret, database_url=sqlite_url(workdir / "footprint.db"), workdir=workdir
    )
    assert server.database_url is not None
    engine = reader_engine(server.database_url)
    steps: list[Step] = []
    try:
        deadline = time.monotonic() + 60
        while not _health_ok(server.port):
            if server.proc.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the footprint bot did not start; see {server.proc.log_path}")
            time.sleep(0.05)
        first = ProudLoad("F0", total=1, signing_secret=secret, port=server.port, response_url=fake.response_url("F"))
        run_load("127.0.0.1", server.port, total=1, concurrency=1, build=first.build, check=first.check_bot)
        time.sleep(0.5)
        steps.append(Step(1, rss_kib(server.pid) / 1024, hwm_kib(server.pid) / 1024, math.nan, math.nan))
        sent = 0
        target = 2 * options.footprint
        batch_number = 0
        while sent < target:
            size = min(BATCH, target - sent)
            batch_number += 1
            load = ProudLoad(
                f"F{batch_number}x{secrets.token_hex(2)}",
                total=size,
                signing_secret=secret,
                port=server.port,
                response_url=fake.response_url("F"),
            )
            result = run_load(
                "127.0.0.1",
                server.port,
                total=size,
                concurrency=FOOTPRINT_CONCURRENCY,
                build=load.build,
                check=load.check_bot,
            )
            if result.errors:
                notes.append(f"footprint batch {batch_number}: {len(result.errors)} errors, first: {result.errors[0]}")
            drain_deadline = time.monotonic() + 600
            last_post_at: float | None = None
            while time.monotonic() < drain_deadline:
                posted, last_post_at = fake.posts_in(load.channel)
                stored, posted_db = count_entries(engine, load.team)
                if posted >= size and posted_db >= size:
                    break
                time.sleep(0.05)
            stored, posted_db = count_entries(engine, load.team)
            posted, last_post_at = fake.posts_in(load.channel)
            if not stored == posted_db == posted == size:
                notes.append(f"footprint batch {batch_number}: stored {stored}, posted {posted_db}, seen {posted}")
            sent += size
            time.sleep(0.5)
            drain = max(0.0, last_post_at - result.ended_at) if last_post_at else math.nan
            steps.append(Step(sent, rss_kib(server.pid) / 1024, hwm_kib(server.pid) / 1024, drain, result.rps))
            print(
                f"[startup] footprint: {sent:>6} requests, RSS {steps[-1].rss_mib:6.1f} MiB, "
                f"{result.rps:6.1f} req/s, drained {drain:.2f} s",
                flush=True,
            )
    finally:
        engine.dispose()
        problems = server.proc.log_problems()
        if problems:
            notes.append(f"the footprint bot logged {len(problems)} warning/error line(s), first: `{problems[0]}`")
        server.proc.stop()
    return steps


def run(options: Options) -> Section:
    workdir = options.workdir / "startup"
    workdir.mkdir(parents=True, exist_ok=True)
    facts = machine_facts(None)
    notes: list[str] = []
    secret = secrets.token_hex(16)
    fake = FakeSlackProc(workdir)
    try:
        cold = _launch_once(fake, workdir, "launch-0", secret)
        print(f"[startup] first launch (not counted): healthz {cold.health:.2f} s", flush=True)
        launches: list[Launch] = []
        for number in range(1, options.launches + 1):
            launch = _launch_once(fake, workdir, f"launch-{number}", secret)
            launches.append(launch)
            print(
                f"[startup] launch {number}: healthz {launch.health:.3f} s, first /proud {launch.first_proud:.3f} s",
                flush=True,
            )
        imports = [dict(import_times()) for _ in range(3)]
        steps = _footprint(options, fake, workdir, secret, notes) if options.footprint > 0 else []
    finally:
        fake.stop()
    import_median = {name: median([run.get(name, 0.0) for run in imports]) for name in imports[0]}
    return _section(options, facts, cold, launches, steps, notes, import_median)


def _section(
    options: Options,
    facts: list[tuple[str, str]],
    cold: Launch,
    launches: list[Launch],
    steps: list[Step],
    notes: list[str],
    imports: dict[str, float],
) -> Section:
    health = median([launch.health for launch in launches])
    first = median([launch.first_proud for launch in launches])
    launch_table = table(
        ["", "median", "min", "max", "first launch (not counted)"],
        [
            [
                "launch → `GET /healthz` 200 (s)",
                f"{health:.3f}",
                f"{min(x.health for x in launches):.3f}",
                f"{max(x.health for x in launches):.3f}",
                f"{cold.health:.3f}",
            ],
            [
                "launch → first `/proud` answered (s)",
                f"{first:.3f}",
                f"{min(x.first_proud for x in launches):.3f}",
                f"{max(x.first_proud for x in launches):.3f}",
                f"{cold.first_proud:.3f}",
            ],
            [
                "that first `/proud` alone (ms)",
                fmt_ms(median([x.proud_latency for x in launches])),
                fmt_ms(min(x.proud_latency for x in launches)),
                fmt_ms(max(x.proud_latency for x in launches)),
                fmt_ms(cold.proud_latency),
            ],
            [
                "RSS after the first `/proud` (MiB)",
                f"{median([x.rss_mib for x in launches]):.1f}",
                f"{min(x.rss_mib for x in launches):.1f}",
                f"{max(x.rss_mib for x in launches):.1f}",
                f"{cold.rss_mib:.1f}",
            ],
        ],
    )
    targets: list[Target] = []
    parts = [
        "## 4. Start-up and footprint",
        facts_block(facts, options.command),
        f"{options.launches} launches of `mindset-bot run --no-scheduler` (HTTP mode, a fresh SQLite database each, "
        "the fake Slack answering auth.test from its own process), after one uncounted launch that also warms the "
        f"OS file cache. `/healthz` is polled every {POLL * 1000:.0f} ms from the moment the process is started; the "
        "first signed `/proud` is sent as soon as it answers. Times include interpreter start, imports, migrations "
        "of the fresh database and the auth.test call.",
        launch_table,
    ]
    if all(launch.phases for launch in launches):
        phase_rows = [[name, f"{median([launch.phases[name] for launch in launches]):.3f}"] for name, _marker in PHASES]
        parts += [
            "Where the time to `/healthz` goes (medians; phase ends read from the bot's log timestamps, "
            "millisecond resolution):",
            table(["phase", "seconds"], phase_rows),
        ]
    if imports:
        total = sum(imports.values())
        top = sorted(imports.items(), key=lambda item: -item[1])[:10]
        parts += [
            f"`import bot.cli` (`python -X importtime`, median of 3): {total:.2f} s in all; self time of every "
            "module summed per top-level package (measured separately, with importtime's own overhead):",
            table(
                ["package", "seconds", "share"], [[f"`{n}`", f"{t:.3f}", f"{100 * t / total:.0f} %"] for n, t in top]
            ),
        ]
    if steps:
        by_count = {step.requests: step for step in steps}
        at_n = by_count.get(options.footprint)
        at_2n = by_count.get(2 * options.footprint)
        parts += [
            f"### Resident memory over {2 * options.footprint:,} `/proud` requests",
            f"Concurrency {FOOTPRINT_CONCURRENCY}, batches of {BATCH:,}; after each batch the background posts are "
            "drained and the bot idles 0.5 s before VmRSS is read from /proc/<pid>/status. One process, one fresh "
            "SQLite database (the database file is not part of RSS).",
            table(
                ["requests", "VmRSS MiB", "VmHWM (peak) MiB", "batch req/s", "posts drained after (s)"],
                [
                    [
                        f"{step.requests:,}" + (" **(N)**" if step is at_n else " **(2N)**" if step is at_2n else ""),
                        f"{step.rss_mib:.1f}",
                        f"{step.hwm_mib:.1f}",
                        fmt_num(step.rps),
                        "" if math.isnan(step.drain) else f"{step.drain:.2f}",
                    ]
                    for step in steps
                ],
            ),
        ]
        if at_n and at_2n:
            growth = at_2n.rss_mib - at_n.rss_mib
            per_k = growth * 1024 / (options.footprint / 1000)
            grew = growth > GROWTH_TOLERANCE_MIB
            targets.append(
                Target(
                    f"RSS does not grow from {options.footprint:,} to {2 * options.footprint:,} requests "
                    f"(tolerance {GROWTH_TOLERANCE_MIB:.0f} MiB)",
                    not grew,
                    f"{at_n.rss_mib:.1f} → {at_2n.rss_mib:.1f} MiB ({growth:+.1f} MiB, {per_k:+.0f} KiB per 1,000 "
                    "requests)",
                )
            )
    if targets:
        parts += ["### Checks", table(["target", "result", "measured"], [[t.what, t.mark, t.detail] for t in targets])]
    if notes:
        parts.append("\n".join(f"- {note}" for note in notes))
    return Section(markdown="\n\n".join(parts), targets=targets, notes=notes)
