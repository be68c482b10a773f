"""Benchmark 6: the Monday storm.

One workspace of 5,000 people (benchmark 2's generated workspace with 100,000 entries of history, bench/
digest_data.py) with 200 ambassadors, all in Europe/Berlin, all due the digest of 2026-W47 on Monday
23 November 2026 at 09:00. The 12 generated ambassadors are joined by 188 more (1–3 customer groups each),
and every ambassador is made a member of about a quarter of the private channels, so that no two see the
week alike; the workspace's digest channel is turned off so the 200 are all that is due.

**Composing** (bench/storm_worker.py, a process per database and repeat): every reader's digest composed
alone (as before) and from one common part (as the engine does now), timed, compared field by field.

**Delivering**: the real `mindset-bot scheduler` (bench/storm_engine.py: its clock set to 09:00 that Monday)
on a copy of the workspace, against the fake Slack limited as Slack is: chat.postMessage one a second per
channel, and the upload's two Web API methods at Tier 4 (100 a minute each). Once as the engine is now, once
with every digest composed alone (`--alone`), per database, interleaved.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from bench.common import Options, Section, Target, facts_block, fmt_num, machine_facts, median, table
from bench.digest import PG_PREFIX, Dataset, _pg_dataset, _sqlite_dataset
from bench.digest_data import NOW, TEAM, Spec, person_id
from bench.procs import REPO, FakeSlackProc, Proc, _spawn, cpu_seconds, free_port, machine_cpu, server_env

READERS = 200
TARGET_RATIO = 3.0  # all the digests composed within this many times one digest
TARGET_SECONDS = 120.0  # all delivered within this
PER_CHANNEL = 1.0  # chat.postMessage a second per channel (Slack's "about one message per second per channel")
TIER4 = 100.0  # files.getUploadURLExternal and files.completeUploadExternal a minute each (Tier 4: "100+")
WORKER_TIMEOUT = 3600.0
DIGEST_TITLE = "Customer focus, week 47"  # how each digest's text begins (bot/render/digest.py)
SHARED, ALONE = "common part shared", "each composed alone"
POLL = 0.25


def spec(backend: str, quick: bool) -> Spec:
    """5,000 people and 15.6 weeks of history: benchmark 2's short PostgreSQL workspace, on both databases."""
    scale = 10 if quick else 1
    label = f"{'q' if quick else ''}{backend[:2]}-{'short' if backend == 'postgresql' else 'storm'}"
    return Spec(
        label,
        people=5000 // scale,
        groups=40,
        entries=100_000 // scale,
        actions=10_000 // scale,
        prompts=2_000 // scale,
        weeks=15.6,
    )


# -- the workspace with its 200 ambassadors -----------------------------------------------------------


@dataclass
class Copy:
    """A database of the run's own, copied from a generated one (PostgreSQL: a template; SQLite: the file)."""

    backend: str
    url: str
    admin_url: str | None = None
    name: str | None = None
    path: Path | None = None

    def drop(self) -> None:
        if self.admin_url is not None and self.name is not None:
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()
        elif self.path is not None:
            for path in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                path.unlink(missing_ok=True)


def copy_of(backend: str, url: str, workdir: Path, admin_url: str | None) -> Copy:
    if backend == "postgresql":
        assert admin_url is not None
        source = make_url(url).database
        name = f"{PG_PREFIX}storm_{os.getpid()}_{secrets.token_hex(3)}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        admin.dispose()
        copied = make_url(url).set(database=name).render_as_string(hide_password=False)
        return Copy(backend, copied, admin_url=admin_url, name=name)
    source_path = Path(make_url(url).database or "")
    path = workdir / f"storm-{secrets.token_hex(3)}.db"
    shutil.copyfile(source_path, path)
    if Path(f"{source_path}-wal").exists():
        shutil.copyfile(f"{source_path}-wal", f"{path}-wal")
    return Copy(backend, f"sqlite:///{path}", path=path)


def _member(channel: str, user: str) -> bool:
    """About a quarter of the private channels, a different quarter for each reader."""
    return hashlib.blake2b(f"{channel}:{user}".encode(), digest_size=2).digest()[0] < 64


def make_readers(url: str, count: int) -> list[str]:
    """The generated ambassadors and more, up to `count`, all in Berlin, each in some private channels."""
    from storage.db import make_engine, make_session_factory
    from storage.models import Ambassador, Channel, CustomerGroup, Person, Workspace

    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            people = int(session.scalar(select(func.count()).where(Person.team_id == TEAM)) or 0)
            groups = list(session.scalars(select(CustomerGroup).where(CustomerGroup.team_id == TEAM)))
            readers = set(session.scalars(select(Ambassador.user_id).where(Ambassador.team_id == TEAM)))
            step = max(1, people // (count + 1))
            index = 1
            while len(readers) < count and index <= people:
                user = person_id(index)
                if user not in readers:
                    ambassador = Ambassador(team_id=TEAM, user_id=user, joined_at=NOW - timedelta(weeks=30))
                    ambassador.groups = [groups[(index * 7 + n) % len(groups)] for n in range(1 + index % 3)]
                    session.add(ambassador)
                    readers.add(user)
                index += step
            session.flush()
            session.execute(
                update(Person).where(Person.team_id == TEAM, Person.user_id.in_(readers)).values(tz="Europe/Berlin")
            )
            session.execute(update(Workspace).where(Workspace.team_id == TEAM).values(digest_channel=None))
            for channel in session.scalars(
                select(Channel).where(Channel.team_id == TEAM, Channel.is_private.is_(True))
            ):
                members = set((channel.members or "").split())
                members |= {user for user in readers if _member(channel.channel_id, user)}
                channel.members = " ".join(sorted(members))
            session.commit()
            return sorted(readers)
    finally:
        engine.dispose()


# -- composing ------------------------------------------------------------------------------------


def compose_worker(url: str, workdir: Path, *, runs: int, code: Path | None = None) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.storm_worker", "--url", url, "--runs", str(runs)]
    paths = [str(code.resolve())] if code is not None else []
    paths += [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, env=env, timeout=WORKER_TIMEOUT)
    if done.returncode != 0:
        raise RuntimeError(f"storm worker failed on {url}:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- delivering -----------------------------------------------------------------------------------


@dataclass
class Delivery:
    backend: str
    variant: str
    readers: int
    launched_at: float = math.nan
    first_attempt: float = math.nan  # the first chat.postMessage, answered or refused
    last_digest: float = math.nan  # the last digest the fake Slack accepted
    last_chart: float = math.nan  # the last files.completeUploadExternal answered
    digests: int = 0  # digest posts accepted
    recipients: int = 0
    twice: int = 0
    charts: int = 0  # files.completeUploadExternal answered
    other_posts: int = 0  # other nudges due at the same moment
    refused: dict[str, int] = field(default_factory=dict)  # 429s by method
    statuses: dict[str, int] = field(default_factory=dict)  # the digest deliveries
    engine_cpu: float = math.nan
    machine_busy: float = math.nan
    problems: list[str] = field(default_factory=list)

    @property
    def delivering(self) -> float:
        """From the engine's first chat.postMessage to the last digest accepted."""
        return self.last_digest - self.first_attempt

    @property
    def from_launch(self) -> float:
        return self.last_digest - self.launched_at

    @property
    def charts_after(self) -> float:
        return self.last_chart - self.first_attempt

    @property
    def exact(self) -> bool:
        return self.digests == self.recipients == self.readers == self.statuses.get("sent", 0) and self.twice == 0


def _digest_statuses(url: str) -> dict[str, int]:
    from bot.engine.digest_planner import DIGEST
    from storage.models import Delivery as Row

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=1)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Row.status, func.count()).where(Row.team_id == TEAM, Row.kind == DIGEST).group_by(Row.status)
            ).all()
    finally:
        engine.dispose()
    return {str(status): int(count) for status, count in rows}


def deliver(options: Options, workdir: Path, base: Copy, readers: list[str], variant: str, number: int) -> Delivery:
    label = f"storm-{base.backend}-{'alone' if variant == ALONE else 'shared'}-{number}-{secrets.token_hex(2)}"
    run = Delivery(base.backend, variant, len(readers))
    copy = copy_of(base.backend, base.url, workdir, options.pg_admin_url)
    fake = FakeSlackProc(workdir, per_channel=PER_CHANNEL, tier4=TIER4, watch=DIGEST_TITLE)
    engine: Proc | None = None
    try:
        env = server_env(fake, signing_secret=secrets.token_hex(16), port=free_port(), database_url=copy.url)
        env["LOG_LEVEL"] = "INFO"
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
        rundir = workdir / label
        rundir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "bench.storm_engine", "--at", NOW.isoformat(), "--only-digests"]
        busy0, all0 = machine_cpu()
        run.launched_at = time.time()
        engine = _spawn(label, argv + (["--alone"] if variant == ALONE else []), env=env, cwd=rundir,
                        log_path=workdir / f"{label}.log")  # fmt: skip
        deadline = time.monotonic() + 600.0
        last_cpu = 0.0
        while time.monotonic() < deadline:
            if engine.popen.poll() is not None:
                run.problems.append(f"the engine exited with {engine.popen.returncode}")
                break
            last_cpu = cpu_seconds(engine.pid)
            totals = fake.totals()
            charts = int(totals["methods"].get("files.completeUploadExternal", 0))
            if int(totals["watched"]) >= len(readers) and charts >= len(readers):
                break
            if int(totals["watched"]) >= len(readers) and _digest_statuses(copy.url).get("sent", 0) >= len(readers):
                time.sleep(5.0)  # the last charts are on their way, or were given up (the engine logs it)
                break
            time.sleep(POLL)
        else:
            run.problems.append("timed out before every digest was sent")
        time.sleep(1.0)  # a late duplicate would show now
        busy1, all1 = machine_cpu()
        run.engine_cpu = cpu_seconds(engine.pid) if engine.popen.poll() is None else last_cpu
        run.machine_busy = (busy1 - busy0) / (all1 - all0) if all1 > all0 else math.nan
        stats = fake.stats()
        watched: dict[str, int] = stats["watched_by_channel"]
        run.digests = sum(watched.values())
        run.recipients = len(watched)
        run.twice = sum(1 for count in watched.values() if count > 1)
        run.other_posts = int(stats["methods"].get("chat.postMessage", 0)) - run.digests
        run.charts = int(stats["methods"].get("files.completeUploadExternal", 0))
        run.refused = {str(k): int(v) for k, v in stats["ratelimited_by_method"].items()}
        run.first_attempt = float(stats["first_attempt_at"] or math.nan)
        run.last_digest = float(stats["watched_latest_at"] or math.nan)
        run.last_chart = float(stats["latest_at"].get("files.completeUploadExternal") or math.nan)
        run.statuses = _digest_statuses(copy.url)
        if set(watched) != set(readers):
            run.problems.append(f"digests went to {len(watched)} channels, not the {len(readers)} ambassadors")
    finally:
        if engine is not None:
            engine.stop()
            lines = engine.log_lines()
            errors = [line for line in lines if " ERROR " in line or "Traceback" in line or "CRITICAL" in line]
            if errors:
                run.problems.append(f"the engine logged {len(errors)} error line(s), first: `{errors[0][:200]}`")
            lost = [line for line in lines if "Could not upload" in line]
            if lost:
                run.problems.append(f"{len(lost)} chart upload(s) given up (the digest itself was sent)")
        fake.stop()
        copy.drop()
    print(
        f"[storm] {label}: {run.digests} digests in {run.delivering:.1f} s from the first post "
        f"({run.from_launch:.1f} s from launch), charts {run.charts} by {run.charts_after:.1f} s, "
        f"other posts {run.other_posts}, 429s {run.refused}" + (f"  PROBLEMS {run.problems}" if run.problems else ""),
        flush=True,
    )
    return run


# -- the benchmark --------------------------------------------------------------------------------


@dataclass
class Database:
    backend: str
    dataset: Dataset
    base: Copy
    readers: list[str]
    composing: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "PostgreSQL" if self.backend == "postgresql" else "SQLite"


def run(options: Options) -> Section:
    workdir = options.workdir / "storm"
    workdir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    facts = machine_facts(options.pg_admin_url)
    started = time.monotonic()
    count = READERS // (10 if options.quick else 1)
    databases: list[Database] = []
    try:
        for backend in ["sqlite"] + (["postgresql"] if options.pg_admin_url else []):
            if backend == "postgresql":
                assert options.pg_admin_url is not None
                dataset = _pg_dataset(options.pg_admin_url, "storm", spec(backend, options.quick), fresh=options.fresh)
            else:
                dataset = _sqlite_dataset("storm", spec(backend, options.quick), fresh=options.fresh)
            base = copy_of(backend, dataset.url, workdir, options.pg_admin_url)
            readers = make_readers(base.url, count)
            print(f"[storm] {backend}: {len(readers)} ambassadors in a copy of {dataset.spec.label}", flush=True)
            databases.append(Database(backend, dataset, base, readers))
        if not options.pg_admin_url:
            notes.append("PostgreSQL was not measured (--no-postgres, or no server).")
        for number in range(options.repeats):
            for database in databases if number % 2 == 0 else databases[::-1]:
                found = compose_worker(database.base.url, workdir, runs=1)
                print(
                    f"[storm] {database.label} compose {number}: one {found['runs']['one'][0]:.3f} s, "
                    f"{found['readers']} alone {found['runs']['alone'][0]:.1f} s, "
                    f"shared {found['runs']['shared'][0]:.2f} s, unequal {len(found['unequal'])}",
                    flush=True,
                )
                database.composing.append(found)
        for number in range(max(1, options.repeats - 1)):
            order = [(database, variant) for database in databases for variant in (SHARED, ALONE)]
            shift = number % len(order)
            for database, variant in order[shift:] + order[:shift]:
                database.deliveries.append(deliver(options, workdir, database.base, database.readers, variant, number))
    finally:
        for database in databases:
            database.base.drop()
    return _section(options, facts, databases, notes, time.monotonic() - started)


def _values(database: Database, key: str) -> list[float]:
    return [value for found in database.composing for value in found["runs"][key]]


def _section(
    options: Options, facts: list[tuple[str, str]], databases: list[Database], notes: list[str], elapsed: float
) -> Section:
    count = len(databases[0].readers) if databases else READERS
    parts = [
        "## 6. The Monday storm",
        facts_block(facts, options.command),
        f"One workspace of {databases[0].dataset.spec.people:,} people " if databases else "",
    ]
    parts[-1] += (
        f"(benchmark 2's generated workspace with {databases[0].dataset.spec.entries:,} entries over 15.6 weeks, "
        f"bench/digest_data.py) and {count} ambassadors, all in Europe/Berlin, each in about a quarter of the "
        "private channels (no two see the week alike), all due the digest of 2026-W47 on Monday 23 November 2026 "
        f"at 09:00. Took {elapsed / 60:.1f} min."
        if databases
        else "Nothing was measured."
    )
    targets: list[Target] = []
    rows = []
    for database in databases:
        one = median(_values(database, "one"))
        alone, shared = median(_values(database, "alone")), median(_values(database, "shared"))
        alone_ready, shared_ready = median(_values(database, "alone_ready")), median(_values(database, "shared_ready"))
        one_cpu, shared_cpu = median(_values(database, "one_cpu")), median(_values(database, "shared_cpu"))
        unequal = sorted({user for found in database.composing for user in found["unequal"]})
        sample = database.composing[-1] if database.composing else {}
        rows.append(
            [
                database.label,
                f"{one * 1000:.0f}",
                f"{alone:.1f}",
                f"{alone / one:.0f} ×",
                f"**{shared:.2f}**",
                f"**{shared / one:.2f} ×**",
                f"{alone_ready:.1f}",
                f"{shared_ready:.2f} ({shared_ready / one:.2f} ×)",
                f"{alone / shared:.0f} ×",
                f"{one_cpu * 1000:.0f} / {shared_cpu:.2f} ({shared_cpu / one_cpu:.2f} ×)",
                f"{sample.get('distinct_themes', '?')} / {sample.get('distinct_quotes', '?')} / "
                f"{sample.get('distinct_thanks', '?')}",
                f"{len(database.readers) - len(unequal)} of {len(database.readers)}",
            ]
        )
        targets.append(
            Target(
                f"{database.label}: all {len(database.readers)} digests composed in under {TARGET_RATIO:g} × "
                "the time of one",
                shared / one < TARGET_RATIO,
                f"{shared:.2f} s = {shared / one:.2f} × one ({one * 1000:.0f} ms)",
            )
        )
        targets.append(
            Target(
                f"{database.label}: each reader's digest from the common part equals the one composed alone",
                not unequal and bool(database.composing),
                f"{len(database.readers) - len(unequal)} of {len(database.readers)} equal in every run",
            )
        )
    parts += [
        "### Composing (bench/storm_worker.py, medians of the repeats)",
        f"{options.repeats} process(es) per database, interleaved; each composes every reader's digest alone "
        "(`digest_reader` and `compose` per reader, as the engine did before) and from one common part "
        "(`digest_reader`, `SharedDigests.get` and `for_reader`, as it does now), alternating which goes first. "
        "*One*: one reader's digest alone (`digest_reader` and `compose`), warm (median of 3). "
        "*CPU*: the composing thread's CPU time (on SQLite the database's work too; on PostgreSQL the server's "
        "is not counted), steadier than wall time on a busy machine. *Ready*: with the message made as well "
        "(`digest_blocks`, `digest_fallback`, the chart's PNG: per reader alone, once with the common part).",
        table(
            [
                "database",
                "one ms",
                "all alone s",
                "÷ one",
                "all from the common part s",
                "÷ one",
                "ready alone s",
                "ready from the common part s",
                "alone ÷ common",
                "CPU: one ms / all from the common part s (÷ one)",
                "distinct themes / quotes / thanks",
                "equal to alone",
            ],
            rows,
        ),
    ]
    deliveries = [run for database in databases for run in database.deliveries]
    if deliveries:
        rows = []
        for database in databases:
            for variant in (SHARED, ALONE):
                mine = [run for run in database.deliveries if run.variant == variant]
                if not mine:
                    continue
                rows.append(
                    [
                        database.label,
                        variant,
                        f"**{median([r.delivering for r in mine]):.1f}**",
                        f"{median([r.from_launch for r in mine]):.1f}",
                        f"{median([r.charts_after for r in mine]):.1f}",
                        f"{median([float(r.charts) for r in mine]):.0f}",
                        f"{median([r.engine_cpu for r in mine]):.1f}",
                        fmt_num(median([float(sum(r.refused.values())) for r in mine])),
                        fmt_num(median([float(r.other_posts) for r in mine])),
                        f"{median([r.machine_busy for r in mine]) * 100:.0f} %",
                        f"{sum(r.exact for r in mine)}/{len(mine)}",
                    ]
                )
            shared_runs = [run for run in database.deliveries if run.variant == SHARED]
            if shared_runs:
                worst = max(run.delivering for run in shared_runs)
                targets.append(
                    Target(
                        f"{database.label}: all {len(database.readers)} digests delivered within "
                        f"{TARGET_SECONDS:.0f} s against Slack's rate",
                        worst <= TARGET_SECONDS and all(run.exact for run in shared_runs),
                        f"{worst:.1f} s (the slowest run), {sum(r.exact for r in shared_runs)} of "
                        f"{len(shared_runs)} runs exactly once",
                    )
                )
        parts += [
            "### Delivering (the real `mindset-bot scheduler`, its clock at Monday 09:00 in Berlin)",
            f"A copy of the workspace per run; the fake Slack allows chat.postMessage {PER_CHANNEL:g} a second per "
            f"channel and files.getUploadURLExternal and files.completeUploadExternal {TIER4:g} a minute each "
            "(Tier 4), answering 429 with Retry-After above that. Slack's workspace-wide limit on "
            "chat.postMessage is not published and is not modelled. *Delivered*: from the engine's first "
            "chat.postMessage to the last digest the fake accepted; *from launch* includes start-up, migrations "
            "and planning. Each digest's chart is uploaded in its thread after it is sent. The engine plans digests "
            "only (bench/storm_engine.py `--only-digests`): the generated workspace has hundreds of other nudges "
            "due that Monday at 09:00 (overdue items, check-ins), benchmarks 3 and 5's matter; *other posts* "
            "counts any that were sent all the same.",
            table(
                [
                    "database",
                    "engine",
                    "delivered s",
                    "from launch s",
                    "charts in by s",
                    "charts",
                    "engine CPU s",
                    "429s",
                    "other posts",
                    "machine busy",
                    "exactly once",
                ],
                rows,
            ),
        ]
    parts += ["### Targets", table(["target", "result", "measured"], [[t.what, t.mark, t.detail] for t in targets])]
    problems = [f"- {r.backend} {r.variant}: {p}" for r in deliveries for p in r.problems]
    if problems:
        parts += ["### Problems", "\n".join(problems[:20])]
    if notes:
        parts.append("\n".join(f"- {note}" for note in notes))
    return Section(markdown="\n\n".join(part for part in parts if part), targets=targets, notes=notes)
