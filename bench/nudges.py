"""Benchmark 3: nudge fan-out.

N due nudges to N people: each person owns an action item a manager created for them a minute ago, and
the "new commitment" delivery that `create_action` plans for the owner (kind `action_assigned`, due now)
is in the database, with the person's time zone known, so the engine's first tick goes straight to
sending. The engine is the real `mindset-bot scheduler` (its first tick starts at once and claims batch after
batch until nothing is due, so one tick sends all N; the next would come a minute later), against the fake
Slack in a process of its own: without a limit, and with a token bucket that answers 429 and Retry-After
above R chat.postMessage a second. Then the database and the fake are asked what really happened: every
delivery sent, every person posted to exactly once.
"""

from __future__ import annotations

import math
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import Options, Section, Target, facts_block, fmt_num, machine_facts, median, table
from bench.nudge_profile import py_spy_command, shares
from bench.procs import (
    FakeSlackProc,
    PostgresDatabase,
    Proc,
    cpu_seconds,
    hwm_kib,
    launch_scheduler,
    machine_cpu,
    reader_engine,
    sqlite_url,
)

TEAM = "TBENCHNUDGE"
MANAGER = "UMANAGER"
TARGET_RATE = 200.0  # nudges delivered per second without a limit
TARGET_RATIO = 1.2  # total time with the limit ÷ N / R
POLL = 0.2
TIME_ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Kolkata", "UTC")
UNLIMITED = "no limit"
PROFILED = "as is, under py-spy"


@dataclass
class NudgeRun:
    database: str  # SQLite | PostgreSQL
    variant: str  # "as is" or a --compare folder's name
    limit: float  # chat.postMessage a second the fake allows (0: no limit)
    total: int
    launched_at: float = math.nan
    first_attempt: float = math.nan  # time.time() of the first chat.postMessage (refused or not)
    first_post: float = math.nan
    last_post: float = math.nan
    engine_cpu: float = math.nan
    fake_cpu: float = math.nan
    machine_busy: float = math.nan
    peak_rss_mib: float = math.nan
    posts: int = 0
    ratelimited: int = 0
    recipients: int = 0
    twice: int = 0  # recipients posted to more than once
    statuses: dict[str, int] = field(default_factory=dict)
    attempts_over_one: int = 0  # deliveries claimed more than once
    ticks: int = 0
    problems: list[str] = field(default_factory=list)
    profile: list[tuple[str, float]] = field(default_factory=list)  # py-spy shares, for a profiled run
    profile_samples: int = 0

    @property
    def sending(self) -> float:
        """Seconds from the first chat.postMessage to the last post."""
        return self.last_post - self.first_attempt

    @property
    def rate(self) -> float:
        return self.posts / self.sending if self.sending > 0 else math.nan

    @property
    def from_launch(self) -> float:
        return self.last_post - self.launched_at

    @property
    def bound(self) -> float:
        return self.total / self.limit if self.limit else math.nan

    @property
    def exact(self) -> bool:
        sent = self.statuses.get("sent", 0)
        return self.posts == self.total == self.recipients == sent and self.twice == 0


# -- the database ---------------------------------------------------------------------------------


def seed(database_url: str, total: int, now: datetime) -> float:
    """Schema (migrations) and the N people, items, events and due deliveries; returns the seconds it took."""
    from bot.services.actions import ASSIGNED
    from storage import migrate
    from storage.db import make_engine
    from storage.models import ActionEvent, ActionItem, Delivery, Person, Workspace

    started = time.perf_counter()
    engine = make_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        migrate.upgrade(engine)
        created = now - timedelta(minutes=1)
        due = (now + timedelta(days=30)).date()
        people = [f"UN{index:06d}" for index in range(1, total + 1)]
        with engine.begin() as connection:
            connection.execute(insert(Workspace), [{"team_id": TEAM}])
            connection.execute(
                insert(Person),
                [
                    {
                        "team_id": TEAM,
                        "user_id": user,
                        "tz": TIME_ZONES[index % len(TIME_ZONES)],
                        "tz_checked_at": now,
                        "deactivated": False,
                    }
                    for index, user in enumerate(people)
                ],
            )
            connection.execute(
                insert(ActionItem),
                [
                    {
                        "id": index,
                        "team_id": TEAM,
                        "title": f"Call the clinic back about their export ({index})",
                        "desired_outcome": "They can close their month on time",
                        "owner_id": user,
                        "created_by": MANAGER,
                        "created_at": created,
                        "due_date": due,
                        "original_due_date": due,
                        "status": "open",
                        "source": "manual",
                        "idempotency_key": f"bench:{index}",
                    }
                    for index, user in enumerate(people, start=1)
                ],
            )
            connection.execute(
                insert(ActionEvent),
                [
                    {
                        "action_id": index,
                        "team_id": TEAM,
                        "at": created,
                        "by": MANAGER,
                        "kind": "created",
                        "new_value": due.isoformat(),
                    }
                    for index in range(1, total + 1)
                ],
            )
            connection.execute(
                insert(Delivery),
                [
                    {
                        "team_id": TEAM,
                        "kind": ASSIGNED,
                        "subject": str(index),
                        "recipient": user,
                        "occasion": "created",
                        "due_at": created,
                        "next_attempt_at": created,
                        "status": "pending",
                        "attempts": 0,
                    }
                    for index, user in enumerate(people, start=1)
                ],
            )
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT setval(pg_get_serial_sequence('action_items', 'id'), %s)", (total,))
                connection.commit()
    finally:
        engine.dispose()
    return time.perf_counter() - started


def delivery_counts(database_url: str) -> tuple[dict[str, int], int]:
    """Deliveries by status, and how many were claimed more than once."""
    from storage.models import Delivery

    engine = reader_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Delivery.status, func.count()).where(Delivery.team_id == TEAM).group_by(Delivery.status)
            ).all()
            again = connection.execute(
                select(func.count()).where(Delivery.team_id == TEAM, Delivery.attempts > 1)
            ).scalar()
    finally:
        engine.dispose()
    return {str(status): int(count) for status, count in rows}, int(again or 0)


# -- one run --------------------------------------------------------------------------------------


def _database(options: Options, backend: str, workdir: Path, label: str) -> tuple[str, PostgresDatabase | None]:
    if backend == "SQLite":
        return sqlite_url(workdir / f"{label}.db"), None
    assert options.pg_admin_url is not None
    database = PostgresDatabase(options.pg_admin_url)
    return database.url, database


def _one_run(
    options: Options,
    workdir: Path,
    backend: str,
    *,
    limit: float,
    variant: str,
    code: Path | None,
    number: int,
    profile: bool = False,
) -> NudgeRun:
    label = f"nudges-{backend.lower()}-{'limit' if limit else 'free'}-{variant.replace(' ', '')}-{number}"
    label += f"-{secrets.token_hex(2)}"
    run = NudgeRun(database=backend, variant=variant, limit=limit, total=options.nudges)
    database_url, pg = _database(options, backend, workdir, label)
    fake = FakeSlackProc(workdir, rate=limit)
    engine: Proc | None = None
    try:
        seeded = seed(database_url, options.nudges, datetime.now(UTC))
        print(f"[nudges] {label}: seeded {options.nudges:,} due nudges in {seeded:.1f} s", flush=True)
        cpu_fake0 = cpu_seconds(fake.proc.pid)
        busy0, all0 = machine_cpu()
        run.launched_at = time.time()
        engine = launch_scheduler(label, fake, database_url=database_url, workdir=workdir, code=code)
        spy, raw = _spy(engine, workdir / f"{label}.collapsed.txt") if profile else (None, None)
        deadline = time.monotonic() + (
            max(180.0, options.nudges / 20) if not limit else 3 * options.nudges / limit + 240
        )
        last_cpu = 0.0
        while time.monotonic() < deadline:
            if engine.popen.poll() is not None:
                run.problems.append(f"the engine exited with {engine.popen.returncode}")
                break
            last_cpu = cpu_seconds(engine.pid)
            totals = fake.totals()
            if int(totals["methods"].get("chat.postMessage", 0)) >= options.nudges:
                statuses, _ = delivery_counts(database_url)
                if statuses.get("sent", 0) >= options.nudges:
                    break
            time.sleep(POLL)
        else:
            run.problems.append("timed out before every nudge was sent")
        time.sleep(1.0)  # a late duplicate would show now
        if spy is not None and raw is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
            if raw.exists():
                run.profile_samples, run.profile = shares(raw)
            else:
                run.problems.append("py-spy recorded nothing (it needs permission to read the engine's memory)")
        busy1, all1 = machine_cpu()
        if engine.popen.poll() is None:
            run.engine_cpu = cpu_seconds(engine.pid)
            run.peak_rss_mib = hwm_kib(engine.pid) / 1024
        else:
            run.engine_cpu = last_cpu
        run.fake_cpu = cpu_seconds(fake.proc.pid) - cpu_fake0
        run.machine_busy = (busy1 - busy0) / (all1 - all0) if all1 > all0 else math.nan
        stats = fake.stats()
        by_channel: dict[str, int] = stats["posts_by_channel"]
        run.posts = int(stats["methods"].get("chat.postMessage", 0))
        run.ratelimited = int(stats["ratelimited"])
        run.recipients = len(by_channel)
        run.twice = sum(1 for count in by_channel.values() if count > 1)
        run.first_attempt = float(stats["first_attempt_at"] or math.nan)
        run.first_post = float(stats["first_post_at"] or math.nan)
        run.last_post = float(stats["latest_post_at"] or math.nan)
        run.statuses, run.attempts_over_one = delivery_counts(database_url)
    finally:
        if engine is not None:
            engine.stop()
            log = engine.log_lines()
            run.ticks = sum("Engine tick:" in line for line in log)
            problems = [line for line in log if " ERROR " in line or "Traceback" in line or "CRITICAL" in line]
            if problems:
                run.problems.append(f"the engine logged {len(problems)} error line(s), first: `{problems[0][:200]}`")
        fake.stop()
        if pg is not None:
            pg.drop()
    if not run.exact:
        run.problems.append(
            f"posts {run.posts:,}, recipients {run.recipients:,}, posted to twice {run.twice}, deliveries "
            f"{run.statuses} (expected {run.total:,} of each, all sent)"
        )
    print(
        f"[nudges] {label}: {run.posts:,} posts in {run.sending:.1f} s ({run.rate:.0f}/s), "
        f"{run.ratelimited:,} answered 429, from launch {run.from_launch:.1f} s, peak RSS {run.peak_rss_mib:.0f} MiB"
        + (f", bound {run.bound:.0f} s, ratio {run.sending / run.bound:.2f}" if limit else "")
        + (f"  PROBLEMS {run.problems}" if run.problems else ""),
        flush=True,
    )
    return run


def _spy(engine: Proc, raw: Path) -> tuple[subprocess.Popen[bytes] | None, Path | None]:
    """py-spy on the engine, every sample (waiting ones too), raw stacks into `raw`."""
    flags = ["--nonblocking", "--idle", "--rate", "200", "--format", "raw", "--output", str(raw)]
    try:
        command = [py_spy_command(), "record", "--pid", str(engine.pid), *flags]
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), raw
    except OSError:
        return None, None


def run(options: Options) -> Section:
    workdir = options.workdir / "nudges"
    workdir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    facts = machine_facts(options.pg_admin_url)
    backends = ["SQLite"] + (["PostgreSQL"] if options.pg_admin_url else [])
    if not options.pg_admin_url:
        notes.append("PostgreSQL was not measured (--no-postgres, or no server).")
    variants: list[tuple[str, Path | None]] = [("as is", None)] + [(code.name, code) for code in options.compare]
    runs: list[NudgeRun] = []
    started = time.monotonic()
    plan: list[tuple[float, int]] = [(0.0, number) for number in range(options.repeats)]
    if options.nudge_rate > 0:  # 0: no runs against a rate-limited Slack
        plan += [(float(options.nudge_rate), number) for number in range(max(1, options.repeats - 1))]
    for limit, number in plan:
        order = [(backend, variant) for backend in backends for variant in variants]
        shift = number % len(order)
        for backend, (variant, code) in order[shift:] + order[:shift]:
            runs.append(_one_run(options, workdir, backend, limit=limit, variant=variant, code=code, number=number))
    # where the time goes, when one engine does not deliver fast enough: one more run each, under py-spy
    for backend in backends:
        free = [r for r in runs if r.database == backend and r.variant == "as is" and not r.limit]
        if free and _agg(free, "rate") < TARGET_RATE:
            runs.append(
                _one_run(options, workdir, backend, limit=0.0, variant=PROFILED, code=None, number=0, profile=True)
            )
    elapsed = time.monotonic() - started
    return _section(options, facts, backends, [name for name, _ in variants], runs, notes, elapsed)


# -- the section ----------------------------------------------------------------------------------


def _agg(runs: list[NudgeRun], attribute: str) -> float:
    return median([float(getattr(run, attribute)) for run in runs])


def _ratio(runs: list[NudgeRun]) -> float:
    return median([run.sending / run.bound for run in runs])


def _section(
    options: Options,
    facts: list[tuple[str, str]],
    backends: list[str],
    variants: list[str],
    runs: list[NudgeRun],
    notes: list[str],
    elapsed: float,
) -> Section:
    n = options.nudges
    rate = options.nudge_rate
    parts = [
        "## 3. Nudge fan-out",
        facts_block(facts, options.command),
        f"{n:,} due nudges to {n:,} people: each owns an open action item a manager created a minute before, "
        "and the *new commitment* delivery `create_action` plans for the owner (kind `action_assigned`, due "
        "now) waits in the database; every person's time zone is known. The engine is the real `mindset-bot "
        "scheduler` (one process; its first tick starts at once and claims batches of 200 until nothing is due, "
        "so one tick sends them all), against the fake Slack in a process of its own, on a fresh database each "
        f"run. {options.repeats} runs without a limit"
        + (f" and {max(1, options.repeats - 1)} with one" if rate > 0 else "")
        + f", per database, interleaved; medians. Took {elapsed / 60:.1f} min.",
    ]
    rows = []
    for limit in (0.0, float(rate)) if rate > 0 else (0.0,):
        for backend in backends:
            for variant in variants:
                mine = [r for r in runs if r.database == backend and r.variant == variant and r.limit == limit]
                if not mine:
                    continue
                rates = [r.rate for r in mine]
                rows.append(
                    [
                        UNLIMITED if not limit else f"{limit:g}/s",
                        backend + ("" if variant == "as is" else f" ({variant})"),
                        f"**{fmt_num(_agg(mine, 'rate'))}** ({fmt_num(min(rates))}–{fmt_num(max(rates))})",
                        f"{_agg(mine, 'sending'):.1f}",
                        f"{_agg(mine, 'from_launch'):.1f}",
                        f"{_agg(mine, 'first_attempt') - _agg(mine, 'launched_at'):.1f}",
                        f"{_agg(mine, 'peak_rss_mib'):.0f}",
                        f"{_agg(mine, 'engine_cpu') * 1000 / max(1, n):.2f}",
                        f"{_agg(mine, 'engine_cpu') / _agg(mine, 'from_launch'):.2f}",
                        fmt_num(_agg(mine, "ratelimited")),
                        f"{_agg(mine, 'machine_busy') * 100:.0f} %",
                        f"{sum(r.exact for r in mine)}/{len(mine)}",
                    ]
                )
    parts += [
        "### Results (medians)",
        table(
            [
                "Slack limit",
                "database",
                "delivered/s (min–max)",
                "sending s",
                "from launch s",
                "launch → first post s",
                "engine peak RSS MiB",
                "engine CPU ms/nudge",
                "engine cores",
                "answered 429",
                "machine busy",
                "exactly once",
            ],
            rows,
        ),
        "*delivered/s*: posts ÷ *sending s*, the time from the first chat.postMessage (refused or not) to the "
        "last post the fake Slack accepted. *from launch*: from starting the process to the last post (start-up, "
        "migrations, auth.test, refreshing people, planning included). *peak RSS*: VmHWM of the engine process. "
        "*engine CPU*: user + system CPU time of the engine process over its whole life, per nudge, and ÷ wall "
        "time from launch. *exactly once*: runs in which every person got exactly one post, the fake got "
        f"{n:,} posts in all, and all {n:,} deliveries are `sent` in the database.",
    ]
    targets: list[Target] = []
    for backend in backends:
        mine = [r for r in runs if r.database == backend and r.variant == "as is" and not r.limit]
        if mine:
            value = _agg(mine, "rate")
            targets.append(
                Target(
                    f"{backend}, no limit: at least {TARGET_RATE:.0f} nudges delivered a second by one engine",
                    value >= TARGET_RATE,
                    f"{value:.0f}/s",
                )
            )
        limited = [r for r in runs if r.database == backend and r.variant == "as is" and r.limit]
        if limited:
            ratio = median([r.sending / r.bound for r in limited])
            targets.append(
                Target(
                    f"{backend}, Slack allows {rate}/s: all {n:,} sent within {TARGET_RATIO:g} × the bound N ÷ R "
                    f"= {n / rate:.0f} s",
                    ratio <= TARGET_RATIO,
                    f"{_agg(limited, 'sending'):.1f} s, {ratio:.2f} × the bound",
                )
            )
    main = [r for r in runs if r.variant in ("as is", PROFILED)]
    targets.append(
        Target(
            "every nudge delivered exactly once (each person one post, every delivery `sent`)",
            all(r.exact for r in main),
            f"{sum(r.exact for r in main)} of {len(main)} runs exact",
        )
    )
    parts += ["### Targets", table(["target", "result", "measured"], [[t.what, t.mark, t.detail] for t in targets])]
    compared = [v for v in variants if v != "as is"]
    if compared:
        rows = []
        for backend in backends:
            base_free = [r for r in runs if r.database == backend and r.variant == "as is" and not r.limit]
            base_limited = [r for r in runs if r.database == backend and r.variant == "as is" and r.limit]
            for variant in compared:
                free = [r for r in runs if r.database == backend and r.variant == variant and not r.limit]
                limited = [r for r in runs if r.database == backend and r.variant == variant and r.limit]
                rows.append(
                    [
                        backend,
                        variant,
                        f"{fmt_num(_agg(base_free, 'rate'))} → **{fmt_num(_agg(free, 'rate'))}**",
                        f"{_ratio(base_limited):.2f} → **{_ratio(limited):.2f}**",
                        f"{fmt_num(_agg(base_limited, 'ratelimited'))} → {fmt_num(_agg(limited, 'ratelimited'))}",
                        f"{sum(r.exact for r in free + limited)}/{len(free + limited)}",
                    ]
                )
        parts += [
            "### Compared (`--compare`: the same runs from a copy of the project)",
            table(
                [
                    "database",
                    "copy",
                    "delivered/s, no limit",
                    f"÷ bound at {rate}/s",
                    "answered 429",
                    "exactly once",
                ],
                rows,
            ),
        ]
    profiled = [r for r in runs if r.variant == PROFILED and r.profile]
    if profiled:
        labels = [label for label, _ in profiled[0].profile]
        parts += [
            "### Where the engine's time goes (py-spy, one more run per database, code as it is)",
            "Samples of every thread taken 200 times a second, waiting ones included (`--idle`), counted when "
            "they are inside the engine's tick or one of its sending threads (the main thread only waits for "
            "APScheduler, and the tick's own waits for its sending threads are left out); a frame's share "
            "includes everything it called. Throughput under py-spy is not counted above. "
            + "; ".join(f"{r.database}: {r.profile_samples:,} samples, {fmt_num(r.rate)}/s" for r in profiled)
            + ".",
            table(
                ["frame", *[r.database for r in profiled]],
                [[label, *[f"{dict(r.profile)[label]:.1f} %" for r in profiled]] for label in labels],
            ),
        ]
    per_run = table(
        ["limit", "database", "variant", "delivered/s", "sending s", "429s", "ticks", "claimed twice+", "statuses"],
        [
            [
                UNLIMITED if not r.limit else f"{r.limit:g}/s",
                r.database,
                r.variant,
                fmt_num(r.rate),
                f"{r.sending:.1f}",
                f"{r.ratelimited:,}",
                str(r.ticks),
                f"{r.attempts_over_one:,}",
                ", ".join(f"{k} {v:,}" for k, v in sorted(r.statuses.items())),
            ]
            for r in runs
        ],
    )
    parts.append("<details><summary>Every run</summary>\n\n" + per_run + "\n\n</details>")
    problems = [f"- {r.database} {r.variant} limit {r.limit:g}: {p}" for r in runs for p in r.problems]
    if problems:
        parts += ["### Problems", "\n".join(problems[:20])]
    if notes:
        parts.append("\n".join(f"- {note}" for note in notes))
    return Section(markdown="\n\n".join(parts), targets=targets, notes=notes)
