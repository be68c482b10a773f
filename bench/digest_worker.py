"""Benchmark 2's measuring process: composes one reader's weekly digest from a generated database.

    python -m bench.digest_worker --url URL [--runs 5] [--explain 3] [--breakdown] [--profile FILE]

Prints one JSON object: the first (cold) compose of this process, then `--runs` warm ones after one
warm-up, each timed; statements per compose (an SQLAlchemy event listener on the engine counts them and
times each); rendering (`digest_blocks`, `digest_fallback`) and the chart (`participation_png`); what the
digest says (checked by the caller against what was generated). With `--explain K`, the K statements that
took longest in a warm compose are run again under EXPLAIN ANALYZE (PostgreSQL) or EXPLAIN QUERY PLAN
(SQLite). With `--breakdown`, one more compose runs with the digest's data functions wrapped in timers.
The engine is the bot's own (`storage.db.make_engine`), so pool settings and pre-ping are as deployed.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class Statement:
    sql: str
    parameters: Any
    seconds: float


@dataclass
class Recorder:
    """Every statement the engine runs while `active`, with its time (cursor execute to its return)."""

    active: bool = False
    statements: list[Statement] = field(default_factory=list)

    def attach(self, engine: Engine) -> None:
        @event.listens_for(engine, "before_cursor_execute")
        def before(conn: Any, _cursor: Any, _sql: str, _params: Any, _context: Any, _many: bool) -> None:
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, _many: bool) -> None:
            if self.active:
                self.statements.append(Statement(sql, params, time.perf_counter() - conn.info["bench_started"]))

    def start(self) -> None:
        self.statements = []
        self.active = True

    def stop(self) -> list[Statement]:
        self.active = False
        return self.statements


def _short(sql: str, limit: int = 220) -> str:
    flat = sql.rstrip() if sql.startswith(" ") else " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


# What the breakdown wraps: (module, attribute, label). Only the outermost wrapped call is counted.
BREAKDOWN: tuple[tuple[str, str, str], ...] = (
    ("storage.repositories.digest", "entry_counts", "entry_counts (5 weeks)"),
    ("storage.repositories.digest", "participants", "participants (5 + 12 weeks)"),
    ("storage.repositories.digest", "prompts_answered", "prompts_answered (5 weeks)"),
    ("storage.repositories.digest", "actions_created", "actions_created (5 weeks)"),
    ("storage.repositories.digest", "actions_done", "actions_done (5 weeks)"),
    ("storage.repositories.digest", "actions_overdue", "actions_overdue (5 weeks)"),
    ("storage.repositories.digest", "entries_between", "entries_between (week, month)"),
    ("storage.repositories.digest", "answers_between", "answers_between (week, month)"),
    ("storage.repositories.digest", "sorries_without_cause", "sorries_without_cause"),
    ("storage.repositories.digest", "entries_by_group", "entries_by_group"),
    ("storage.repositories.digest", "groups_answered", "groups_answered"),
    ("storage.repositories.digest", "entries_by_area", "entries_by_area"),
    ("storage.repositories.digest", "open_actions_due", "open_actions_due (next week, overdue, stuck)"),
    ("storage.repositories.digest", "contributors", "contributors"),
    ("bot.digest.compose", "channel_facts", "channel facts (channels)"),
    ("bot.digest.compose", "Visibility", "Visibility (channels, before channel_facts)"),
    ("storage.repositories.groups", "list_groups", "list_groups"),
    ("bot.services.success_index", "workspace_index", "Success Index (workspace_index)"),
    ("bot.digest.compose", "week_numbers", "meeting numbers (week_numbers)"),
    ("bot.digest.compose", "themes", "themes (Python)"),
)


def breakdown(compose_once: Callable[[], Any]) -> tuple[float, dict[str, tuple[int, float]]]:
    """One compose with the data functions wrapped: seconds per function (outermost calls only)."""
    import importlib

    spent: dict[str, list[float]] = {}
    depth = [0]
    originals: list[tuple[Any, str, Any]] = []

    def wrap(label: str, original: Any) -> Any:
        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent.setdefault(label, []).append(time.perf_counter() - started)

        return timed

    for module_name, attribute, label in BREAKDOWN:
        module = importlib.import_module(module_name)
        original = getattr(module, attribute, None)
        if original is None:
            continue  # not in this copy of the code (a --compare of older code)
        originals.append((module, attribute, original))
        setattr(module, attribute, wrap(label, original))
    try:
        _, total = _timed(compose_once)
    finally:
        for module, attribute, original in originals:
            setattr(module, attribute, original)
    return total, {label: (len(times), sum(times)) for label, times in spent.items()}


def explain(engine: Engine, statements: list[Statement], count: int) -> list[dict[str, Any]]:
    """The `count` slowest distinct statements of a compose, with their plans (run again, same parameters)."""
    slowest: dict[str, Statement] = {}
    totals: dict[str, tuple[int, float]] = {}
    for statement in statements:
        calls, seconds = totals.get(statement.sql, (0, 0.0))
        totals[statement.sql] = (calls + 1, seconds + statement.seconds)
        if statement.sql not in slowest or statement.seconds > slowest[statement.sql].seconds:
            slowest[statement.sql] = statement
    ranked = sorted(totals.items(), key=lambda item: -item[1][1])[:count]
    found = []
    postgres = engine.dialect.name == "postgresql"
    for sql, (calls, seconds) in ranked:
        statement = slowest[sql]
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(prefix + sql, statement.parameters)
            plan = [
                _short(" | ".join(str(part) for part in row) if not postgres else str(row[0]), 300)
                for row in cursor.fetchall()
            ]
            cursor.close()
            raw.rollback()
        finally:
            raw.close()
        found.append(
            {
                "sql": _short(sql, 600),
                "calls": calls,
                "seconds": seconds,
                "slowest_call": statement.seconds,
                "plan": plan,
            }
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", type=int, default=0)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--profile", type=Path, default=None, help="pyinstrument text output of 3 warm composes")
    args = parser.parse_args()

    started = time.perf_counter()
    from bench.digest_data import NOW, READER, TEAM, WEEK_MONDAY
    from bot.digest.chart import participation_png
    from bot.digest.compose import compose
    from bot.digest.period import Week
    from bot.engine.senders import digest_reader
    from bot.render.digest import digest_blocks, digest_fallback
    from bot.worktime import local_date, zone
    from storage.db import make_engine, make_session_factory

    imports = time.perf_counter() - started
    engine = make_engine(args.url, pool_size=2)
    recorder = Recorder()
    recorder.attach(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        found = digest_reader(session, team_id=TEAM, recipient=READER)
    if found is None:
        raise SystemExit(f"{READER} is not an ambassador in {TEAM}: not a generated database?")
    reader, tz_name = found
    tz = zone(tz_name)
    week = Week(WEEK_MONDAY, tz)
    today = local_date(NOW, tz)

    def compose_once() -> Any:
        with sessions() as session:
            return compose(session, team_id=TEAM, week=week, reader=reader, now=NOW)

    recorder.start()
    digest, cold = _timed(compose_once)
    cold_statements = recorder.stop()
    _timed(compose_once)  # warm-up
    warm: list[float] = []
    counts: list[int] = []
    db_seconds: list[float] = []
    last: list[Statement] = []
    for _ in range(args.runs):
        recorder.start()
        digest, seconds = _timed(compose_once)
        last = recorder.stop()
        warm.append(seconds)
        counts.append(len(last))
        db_seconds.append(sum(statement.seconds for statement in last))

    blocks: list[dict[str, Any]] = []
    render: list[float] = []
    fallback: list[float] = []
    chart: list[float] = []
    png = b""
    for _ in range(max(args.runs, 5)):
        blocks, seconds = _timed(lambda: digest_blocks(digest, today=today))
        render.append(seconds)
        _, seconds = _timed(lambda: digest_fallback(digest))
        fallback.append(seconds)
        png, seconds = _timed(lambda: participation_png(digest.participation, average=digest.participation_average))
        chart.append(seconds)

    result: dict[str, Any] = {
        "dialect": engine.dialect.name,
        "imports": imports,
        "cold": cold,
        "cold_statements": len(cold_statements),
        "warm": warm,
        "statements": counts,
        "db_seconds": db_seconds,
        "render": render,
        "fallback": fallback,
        "chart": chart,
        "png_bytes": len(png),
        "blocks": len(blocks),
        "says": {
            "week": week.label,
            "prouds": digest.prouds_total,
            "sorries": next(m.now for m in digest.metrics if m.label == "Sorries"),
            "people_taking_part": next(m.now for m in digest.metrics if m.label == "People taking part"),
            "prouds_quoted": len(digest.prouds),
            "open_sorries": digest.open_sorries_total,
            "overdue": digest.overdue_total,
            "themes": len(digest.themes),
            "groups": len(digest.groups),
            "meeting_prompts": digest.meetings.prompts_sent,
            "success_due": digest.success[-1].due if digest.success else 0,
            "contributors": len(digest.contributors),
        },
        "top": [
            {"sql": _short(sql), "calls": calls, "seconds": seconds}
            for sql, (calls, seconds) in sorted(_by_sql(last).items(), key=lambda item: -item[1][1])[:8]
        ],
    }
    if args.breakdown:
        total, parts = breakdown(compose_once)
        result["breakdown"] = {"total": total, "parts": parts}
    if args.explain:
        result["explain"] = explain(engine, last, args.explain)
    if args.profile is not None:
        result["profile"] = _profile(compose_once, args.profile)
    engine.dispose()
    result["median_warm"] = statistics.median(warm) if warm else None
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def _by_sql(statements: list[Statement]) -> dict[str, tuple[int, float]]:
    totals: dict[str, tuple[int, float]] = {}
    for statement in statements:
        calls, seconds = totals.get(statement.sql, (0, 0.0))
        totals[statement.sql] = (calls + 1, seconds + statement.seconds)
    return totals


def _profile(compose_once: Callable[[], Any], out: Path) -> str | None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    profiler = Profiler(interval=0.001)
    profiler.start()
    for _ in range(3):
        compose_once()
    profiler.stop()
    text = profiler.output_text(unicode=True, color=False, show_all=False)
    out.write_text(text)
    return str(out)


if __name__ == "__main__":
    main()
