"""Benchmark 5: the engine's tick at scale, on PostgreSQL.

A deployment of `--engine-scale` × (1,000 workspaces, 100,000 people, 1,000,000 entries, 300,000 action items of
which 80,000 open and overdue, 20,000 weekly meetings, 2 ambassadors a workspace), and the same at a tenth of it,
in one run. Each database is loaded with COPY, analysed, then driven by the real `NudgeEngine` in this process
(its clock set to Friday 27 November 2026, 12:00 UTC: no check-in, digest or quarterly review is due then):

1. a first tick plans what the history makes due (every overdue item's current nudge, the recent sorries'
   root-cause nudges); those deliveries are then marked sent, as if a running engine had sent them;
2. **quiet ticks**, a minute apart: nothing new is due; their wall time and statements are measured;
3. **a busy tick**: 1,000 items fall due at once (new overdue items of known people); the tick plans their 1,000
   nudges and sends them to the fake Slack (its own process, no rate limit): wall time end to end.

Then `EXPLAIN (ANALYZE, BUFFERS)` of every query a quiet tick ran, on the full-size database.

By hand: `bench/.venv/bin/python -m bench.engine_tick --scale 1.0` (`--scale 0.3` for less).
"""

from __future__ import annotations

import argparse
import gc
import io
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, event, func, insert, select, text

from bench.common import Options, Section, Target, facts_block, fmt_ms, machine_facts, table
from bench.procs import FakeSlackProc, PostgresDatabase
from bot.engine import reviews
from bot.engine.engine import NudgeEngine
from bot.settings import Settings, load_settings
from bot.slack_client import make_web_client
from bot.worktime import quarter_bounds
from storage import migrate
from storage.db import make_engine, make_session_factory
from storage.models import ActionItem, Delivery

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday noon: nothing weekly or quarterly is due
# `--review-window`: Tuesday 6 October 2026, 10:30 UTC, the quarter's first week, when the engine reads the quarter's
# commitments for the quarterly reviews (once an hour); no zone of ZONES has its 09:00 in the next 80 minutes
REVIEW_NOW = datetime(2026, 10, 6, 10, 30, tzinfo=UTC)
HOUR_TICK_AFTER = timedelta(minutes=70)  # the engine reads the quarter's commitments again after an hour
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "America/Los_Angeles", "Europe/London")
QUIET_TICKS = 5
WORKING_AT_NOON_UTC = ("Europe/Berlin", "UTC", "Europe/London")  # of ZONES, those 09:00-17:00 around noon UTC
BUSY_NUDGES = 1000
PROFILE = False
PLAN_LINES = 30  # of each EXPLAIN shown (a chunk of 500 people read by key is a BitmapOr of 500 index scans)


@dataclass(frozen=True)
class Size:
    workspaces: int
    people: int
    entries: int
    items: int
    overdue: int
    meetings: int

    @classmethod
    def at(cls, scale: float) -> Size:
        return cls(
            workspaces=max(1, round(1000 * scale)),
            people=round(100_000 * scale),
            entries=round(1_000_000 * scale),
            items=round(300_000 * scale),
            overdue=round(80_000 * scale),
            meetings=round(20_000 * scale),
        )

    def label(self) -> str:
        return (
            f"{self.workspaces:,} workspaces, {self.people:,} people, {self.entries:,} entries, "
            f"{self.items:,} items ({self.overdue:,} open and overdue), {self.meetings:,} meetings"
        )


@dataclass
class Measured:
    size: Size
    load_seconds: float = 0.0
    first_tick: float = 0.0
    first_planned: int = 0
    quiet: list[float] = field(default_factory=list)
    quiet_statements: list[int] = field(default_factory=list)
    busy: float = 0.0
    busy_planned: int = 0
    busy_sent: int = 0
    posts: int = 0
    explains: list[tuple[str, str]] = field(default_factory=list)
    quiet_sql: list[str] = field(default_factory=list)
    # --review-window only: the tick an hour on, when the quarter's commitments are read again
    hour_tick: float = 0.0
    hour_statements: int = 0
    hour_planned: int = 0
    hour_explains: list[tuple[str, str]] = field(default_factory=list)
    review_read: list[float] = field(default_factory=list)  # the hourly read of the quarter's reviews, alone
    review_rows: int = 0  # the quarter's commitments' owners it goes through


# -- the data --------------------------------------------------------------------------------------


def _copy(engine: Engine, table_name: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> int:
    count = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table_name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
                count += 1
        raw.commit()
    finally:
        raw.close()
    return count


def load(engine: Engine, size: Size, seed: int = 5) -> None:
    rng = random.Random(seed)
    teams = [f"T{n:05}" for n in range(size.workspaces)]
    per_team = max(1, size.people // size.workspaces)

    def person(team_index: int) -> str:
        return f"U{team_index:05}{rng.randrange(per_team):04}"

    def channel(team_index: int) -> str:
        return f"C{team_index:05}{rng.randrange(8)}"

    _copy(
        engine,
        "workspaces",
        ["team_id", "work_days", "work_start", "work_end", "default_tz", "digest_weekday", "digest_time"],
        ((team, "1,2,3,4,5", "09:00", "17:00", "UTC", 1, "09:00") for team in teams),
    )
    _copy(
        engine,
        "people",
        ["team_id", "user_id", "tz", "tz_checked_at", "deactivated"],
        (
            (team, f"U{t:05}{n:04}", ZONES[(t + n) % len(ZONES)], NOW - timedelta(days=1), False)
            for t, team in enumerate(teams)
            for n in range(per_team)
        ),
    )
    _copy(
        engine,
        "channels",
        ["team_id", "channel_id", "is_private", "checked_at"],
        ((team, f"C{t:05}{k}", False, NOW) for t, team in enumerate(teams) for k in range(8)),
    )
    _copy(
        engine,
        "ambassadors",
        ["team_id", "user_id", "joined_at"],
        ((team, f"U{t:05}{k:04}", NOW - timedelta(days=400)) for t, team in enumerate(teams) for k in range(2)),
    )
    span = timedelta(weeks=156).total_seconds()

    def entries() -> Iterator[tuple[Any, ...]]:
        for n in range(size.entries):
            t = rng.randrange(size.workspaces)
            created = NOW - timedelta(seconds=3600 + rng.random() * span)
            sorry = rng.random() < 0.3
            author = person(t)
            cause = sorry and rng.random() < 0.6
            yield (
                teams[t],
                "sorry" if sorry else "proud",
                author,
                channel(t),
                f"entry {n}",
                created,
                f"bench:{n}",
                "a cause" if cause else None,
                author if cause else None,
                created + timedelta(hours=5) if cause else None,
                f"{int(created.timestamp())}.{n % 1_000_000:06}",
            )

    _copy(
        engine,
        "entries",
        [
            "team_id",
            "kind",
            "author_id",
            "channel_id",
            "text",
            "created_at",
            "idempotency_key",
            "root_cause",
            "root_cause_by",
            "root_cause_at",
            "message_ts",
        ],
        entries(),
    )
    future = round(size.items / 30)

    def items() -> Iterator[tuple[Any, ...]]:
        for n in range(size.items):
            t = rng.randrange(size.workspaces)
            if n < size.overdue:
                due = (NOW - timedelta(days=3 + rng.randrange(700))).date()
                status, closed = "open", None
            elif n < size.overdue + future:
                due = (NOW + timedelta(days=1 + rng.randrange(120))).date()
                status, closed = "open", None
            else:
                due = (NOW - timedelta(days=3 + rng.randrange(1000))).date()
                status = "done" if rng.random() < 0.85 else "dropped"
                closed = datetime.combine(due, datetime.min.time(), UTC) + timedelta(days=rng.randrange(-10, 10))
            created = datetime.combine(due, datetime.min.time(), UTC) - timedelta(days=3 + rng.randrange(120))
            owner = person(t)
            yield (teams[t], f"item {n}", owner, owner, created, due, due, status, closed, "manual", f"bench:{n}")

    _copy(
        engine,
        "action_items",
        [
            "team_id",
            "title",
            "owner_id",
            "created_by",
            "created_at",
            "due_date",
            "original_due_date",
            "status",
            "closed_at",
            "source",
            "idempotency_key",
        ],
        items(),
    )

    def meetings() -> Iterator[tuple[Any, ...]]:
        for n in range(size.meetings):
            t = rng.randrange(size.workspaces)
            owner = person(t)
            to_owner = rng.random() < 0.5
            yield (
                teams[t],
                f"meeting {n}",
                None if to_owner else channel(t),
                owner,
                "weekly",
                date(2025, 11, 3),
                str(1 + rng.randrange(4)),
                "10:00",
                ZONES[n % len(ZONES)],
                10,
                "owner" if to_owner else "channel",
                False,
                owner,
                NOW - timedelta(days=400),
                f"bench:{n}",
            )

    _copy(
        engine,
        "meetings",
        [
            "team_id",
            "title",
            "channel_id",
            "owner_id",
            "repeat",
            "start_date",
            "weekdays",
            "at_time",
            "tz",
            "lead_minutes",
            "prompt_to",
            "paused",
            "created_by",
            "created_at",
            "idempotency_key",
        ],
        meetings(),
    )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


# -- the ticks -------------------------------------------------------------------------------------


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool) -> None:
        seen.append((statement, None if executemany else parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _settings(api_url: str) -> Settings:
    return load_settings(
        Settings,
        _env_file=None,
        slack_bot_token="xoxb-bench-engine",
        slack_signing_secret="bench-signing-secret",
        slack_api_url=api_url,
        database_url="sqlite:///:memory:",
    )


def measure(url: str, size: Size, fake: FakeSlackProc, *, explain: bool, hour_tick: bool = False) -> Measured:
    result = Measured(size)
    engine = make_engine(url, pool_size=8)
    migrate.upgrade(engine)
    started = time.perf_counter()
    load(engine, size)
    result.load_seconds = time.perf_counter() - started
    client = make_web_client(_settings(fake.api_url))
    clock = [NOW]
    nudges = NudgeEngine(
        session_factory=make_session_factory(engine),
        client_for=lambda _team: client,
        clock=lambda: clock[0],
        worker_id="bench-engine",
        retention=None,
    )
    # 1. the history's due nudges, planned (not sent: marked sent, as a running engine would have done)
    started = time.perf_counter()
    result.first_planned = nudges.plan(NOW)
    result.first_tick = time.perf_counter() - started
    with engine.begin() as connection:
        connection.execute(text("UPDATE deliveries SET status = 'sent', sent_at = due_at"))
    # what catching up with the whole history updated (each open item's next look, each delivery) left dead row
    # versions in the indexes; in a running deployment autovacuum removes them within minutes: here, at once
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    clock[0] = NOW + timedelta(minutes=1)
    nudges.tick(clock[0])  # settles what the first tick left (the time zones, channels: all known)
    # the rows generated for the load and the first tick's 80,000 plans are garbage by now: collected before the
    # quiet ticks are timed, so that a collection of what this process generated is not counted in one of them
    gc.collect()
    # 2. quiet ticks
    for n in range(QUIET_TICKS):
        clock[0] = NOW + timedelta(minutes=2 + n)
        with statements(engine) as seen:
            started = time.perf_counter()
            if PROFILE and n == QUIET_TICKS - 1:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                report = profiler.runcall(nudges.tick, clock[0])
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            else:
                report = nudges.tick(clock[0])
            result.quiet.append(time.perf_counter() - started)
        result.quiet_statements.append(len(seen))
        result.quiet_sql = [" ".join(statement.split())[:160] for statement, _ in seen]
        if explain and n == QUIET_TICKS - 1:
            result.explains = _explain(engine, seen)
        if report.planned or report.sent:
            print(f"   quiet tick {n} planned {report.planned}, sent {report.sent}", flush=True)
    # 3. a busy tick: 1,000 items fell due two days ago (their first overdue nudge's morning has come everywhere)
    before = _posts(fake)
    due = (NOW - timedelta(days=2)).date()
    with engine.begin() as connection:
        owners = connection.execute(
            # people in their working hours now (an overdue nudge waits for its owner's working time): on the Friday
            # at 12:07 UTC those in Berlin, London and UTC; in the review window (10:37 UTC) the same
            text("SELECT team_id, user_id FROM people WHERE tz IN :zones ORDER BY id LIMIT :n").bindparams(
                bindparam("zones", expanding=True)
            ),
            {"n": BUSY_NUDGES, "zones": list(WORKING_AT_NOON_UTC)},
        ).all()
        connection.execute(
            insert(ActionItem),
            [
                {
                    "team_id": team,
                    "title": f"busy {n}",
                    "owner_id": user,
                    "created_by": user,
                    "created_at": NOW - timedelta(days=20),
                    "due_date": due,
                    "original_due_date": due,
                    "status": "open",
                    "source": "manual",
                    "idempotency_key": f"busy:{n}",
                }
                for n, (team, user) in enumerate(owners)
            ],
        )
    clock[0] = NOW + timedelta(minutes=2 + QUIET_TICKS)
    started = time.perf_counter()
    report = nudges.tick(clock[0])
    result.busy = time.perf_counter() - started
    result.busy_planned, result.busy_sent = report.planned, report.sent
    result.posts = _posts(fake) - before
    with engine.connect() as connection:
        sent = connection.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.kind == "action_overdue", Delivery.sent_at >= NOW)
        )
    print(f"   busy tick: planned {report.planned}, sent {report.sent}, deliveries sent since {sent}", flush=True)
    if hour_tick:
        # 4. an hour after the first tick's read: this tick reads the quarter's commitments again
        clock[0] = NOW + HOUR_TICK_AFTER
        gc.collect()
        with statements(engine) as seen:
            started = time.perf_counter()
            report = nudges.tick(clock[0])
            result.hour_tick = time.perf_counter() - started
        result.hour_statements, result.hour_planned = len(seen), report.planned
        if explain:
            result.hour_explains = _explain(engine, seen)
        print(f"   hour tick: {result.hour_tick * 1000:.1f} ms, {len(seen)} statements, planned {report.planned}")
        # the read the hour's tick made, alone (warm): whom the reviews are for, the planned ones left out
        quarters = reviews.quarters_just_ended(clock[0])
        with make_session_factory(engine)() as session:
            for _ in range(5):
                started = time.perf_counter()
                reviews.own_reviews(session, quarters, clock[0])
                result.review_read.append(time.perf_counter() - started)
            first, last = quarter_bounds(*quarters[-1])
            result.review_rows = len(session.execute(reviews.owners_due_between(first, last, clock[0])).all())
        reads = [round(r * 1000, 1) for r in result.review_read]
        print(f"   the reviews' read: {reads} ms, {result.review_rows} owners")
    engine.dispose()
    return result


def _posts(fake: FakeSlackProc) -> int:
    return int(fake.totals()["methods"].get("chat.postMessage", 0))


def _explain(engine: Engine, seen: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    plans: list[tuple[str, str]] = []
    done: set[str] = set()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT") or statement in done or parameters is None:
                continue
            done.add(statement)
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + statement, parameters)
            lines = [str(row[0]) for row in cursor.fetchall()]
            if len(lines) > PLAN_LINES:
                lines = [*lines[:PLAN_LINES], f"... ({len(lines) - PLAN_LINES} more lines)"]
            plans.append((statement, "\n".join(lines)))
        raw.rollback()
    finally:
        raw.close()
    return plans


# -- the section -----------------------------------------------------------------------------------


def _section(full: Measured, tenth: Measured, options_line: str) -> Section:
    quiet_full, quiet_tenth = statistics.median(full.quiet), statistics.median(tenth.quiet)
    ratio = quiet_full / quiet_tenth if quiet_tenth else float("inf")
    targets = [
        Target("a tick with nothing new due under 100 ms", quiet_full < 0.1, f"{fmt_ms(quiet_full)} ms"),
        Target("that tick within 1.3× of the same at a tenth of the size", ratio <= 1.3, f"{ratio:.2f}×"),
        Target(
            f"a tick planning and sending {BUSY_NUDGES:,} due nudges under 10 s",
            full.busy < 10 and full.posts == BUSY_NUDGES,
            f"{full.busy:.2f} s, {full.posts:,} posts",
        ),
    ]
    rows = [
        [
            label,
            m.size.label(),
            f"{m.load_seconds:.0f} s",
            f"{m.first_planned:,} in {m.first_tick:.1f} s",
            f"{fmt_ms(statistics.median(m.quiet))} ms ({fmt_ms(min(m.quiet))}–{fmt_ms(max(m.quiet))})",
            str(statistics.median(m.quiet_statements)),
            f"{m.busy:.2f} s ({m.busy_planned:,} planned, {m.busy_sent:,} sent, {m.posts:,} posts)",
        ]
        for label, m in (("full", full), ("a tenth", tenth))
    ]
    body = [
        "## 5. Engine tick at scale",
        "",
        facts_block(machine_facts(None), options_line),
        "",
        table(
            [
                "size",
                "data",
                "load (COPY)",
                "first tick: history's due nudges planned",
                "quiet tick (median, range)",
                "statements a quiet tick",
                "busy tick, end to end",
            ],
            rows,
        ),
        "",
        table(["target", "", "measured"], [[t.what, t.mark, t.detail] for t in targets]),
        "",
        "<details><summary>EXPLAIN (ANALYZE, BUFFERS) of every query of a quiet tick, full size</summary>",
        "",
    ]
    for statement, plan in full.explains:
        body += ["```sql", " ".join(statement.split())[:600], "```", "```text", plan, "```", ""]
    body += ["</details>"]
    return Section("\n".join(body), targets)


def run(options: Options) -> Section:
    if options.pg_admin_url is None:
        return Section("## 5. Engine tick at scale\n\nNot run: PostgreSQL only (`--no-postgres` was given).")
    scale = options.engine_scale / (10 if options.quick else 1)
    return _run(options.pg_admin_url, scale, options.workdir, options.command)


def _run(admin_url: str, scale: float, workdir: Path, command: str, *, review_window: bool = False) -> Section:
    fake = FakeSlackProc(workdir)
    measured: dict[str, Measured] = {}
    try:
        for label, factor, explain in (("a tenth", scale / 10, False), ("full", scale, True)):
            size = Size.at(factor)
            print(f"   {label}: {size.label()}", flush=True)
            database = PostgresDatabase(admin_url)
            try:
                url = database.url.replace("postgresql://", "postgresql+psycopg://", 1)
                measured[label] = measure(url, size, fake, explain=explain, hour_tick=review_window)
            finally:
                database.drop()
            m = measured[label]
            print(
                f"   {label}: load {m.load_seconds:.0f} s, first tick {m.first_tick:.1f} s "
                f"({m.first_planned} planned), quiet {[round(q * 1000, 1) for q in m.quiet]} ms, "
                f"busy {m.busy:.2f} s ({m.posts} posts)",
                flush=True,
            )
    finally:
        fake.stop()
    section = _section(measured["full"], measured["a tenth"], command)
    if review_window:
        section = _with_hour_tick(section, measured["full"], measured["a tenth"])
    return section


def _with_hour_tick(section: Section, full: Measured, tenth: Measured) -> Section:
    """The section of a run in a review window: the hourly tick that reads the quarter's commitments, and its plans."""
    ratio = full.hour_tick / tenth.hour_tick if tenth.hour_tick else float("inf")
    rows = [
        [
            label,
            f"{fmt_ms(m.hour_tick)} ms",
            str(m.hour_statements),
            f"{m.hour_planned:,}",
            f"{fmt_ms(statistics.median(m.review_read))} ms ({m.review_rows:,} owners)",
        ]
        for label, m in (("full", full), ("a tenth", tenth))
    ]
    lines = [
        section.markdown.replace("## 5. Engine tick at scale", "## 5. Engine tick at scale, in a review window", 1),
        "",
        "The tick an hour after the first (the engine reads the quarter's commitments again): "
        f"full ÷ a tenth {ratio:.2f}×",
        "",
        table(
            ["size", "the hour's tick", "statements", "planned", "of it, the reviews' read alone (median of 5)"],
            rows,
        ),
        "",
        "<details><summary>EXPLAIN (ANALYZE, BUFFERS) of every query of the hour's tick, full size</summary>",
        "",
    ]
    for statement, plan in full.hour_explains:
        lines += ["```sql", " ".join(statement.split())[:600], "```", "```text", plan, "```", ""]
    lines += ["</details>"]
    # the busy tick's target is benchmark 5's own run (a Friday noon): at 10:30 UTC here the owners in New York, Los
    # Angeles and Tokyo are outside their working hours, and their nudges wait for their mornings
    targets = [target for target in section.targets if "due nudges" not in target.what]
    return Section("\n".join(lines), targets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="size, as a fraction of the issue's (default 1.0)")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--out", type=Path, help="write the section's Markdown here")
    parser.add_argument(
        "--review-window",
        action="store_true",
        help="tick in the quarter's first week (6 October 2026), when the quarterly reviews are read, and time the "
        "hourly tick that reads the quarter's commitments",
    )
    args = parser.parse_args(argv)
    if args.review_window:
        global NOW
        NOW = REVIEW_NOW
    workdir = Path("/tmp") / f"mindset-bench-engine-{int(time.time())}"
    workdir.mkdir(parents=True, exist_ok=True)
    command = " ".join(["python -m bench.engine_tick", *(argv if argv is not None else sys.argv[1:])])
    section = _run(args.pg_url, args.scale, workdir, command, review_window=args.review_window)
    buffer = io.StringIO()
    buffer.write(section.markdown + "\n")
    if args.out:
        args.out.write_text(buffer.getvalue())
    print(buffer.getvalue())
    for target in section.targets:
        print(f"[{'met' if target.met else 'MISSED'}] {target.what}: {target.detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
