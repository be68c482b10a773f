"""Benchmark 9: the web dashboard's pages at benchmark 2's scale (issue 19: each page under 300 ms server time).

Benchmark 2's generated workspace on PostgreSQL (bench/digest_data.py: 5,000 people, 40 customer groups,
1,000,000 entries over three years, 100,000 action items), in a database of its own,
`mindset_bench_dashboard_po_long`, made when missing or out of date. Each page is asked of
`bot.dashboard.web.Dashboard.handle` with a signed session cookie, as the HTTP front's worker thread asks it:
the time is the server's (queries, access rules, charts, HTML or CSV), without the network. For an ambassador
(the whole workspace) and for a member (their own entries). Each page once cold (a new process's first
request), then `--runs` times warm; medians.

    python -m bench.dashboard [--quick] [--runs 5] [--fresh]

`--quick`: the 100,000-entry workspace of benchmark 2 (`po-short`), for a try-out.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from bench import digest as digest_bench
from bench.common import facts_block, machine_facts, table
from bench.digest import _pg_dataset, specs
from bench.digest_data import NOW, READER, TEAM
from bot.dashboard import cookies, figures_kept
from bot.dashboard.access import viewer_of
from bot.dashboard.web import Dashboard, Request
from bot.settings import Settings
from storage.db import make_engine, make_session_factory
from storage.models import DashboardFigures, Entry

TARGET_MS = 300.0
# MINDSET_BENCH_DASHBOARD_PREFIX gives a checkout a database of its own (two branches measured side by side)
PG_PREFIX = os.environ.get("MINDSET_BENCH_DASHBOARD_PREFIX", "mindset_bench_dashboard_")
PAGES = (
    "/dashboard/health",
    "/dashboard/groups",
    "/dashboard/commitments",
    "/dashboard/entries",
    "/dashboard/entries?kind=sorry&area=operations",
    # a week of the workspace's entries (about 7,000 rows), and the most a CSV holds (50,000 rows)
    "/dashboard/entries.csv?since=2026-11-16&until=2026-11-22",
    "/dashboard/entries.csv",
)


def _settings(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token="xoxb-bench",
        slack_signing_secret="bench-signing-secret",
        slack_client_id="1234567890.1234567890",
        slack_client_secret="bench-client-secret",
        slack_api_url="http://127.0.0.1:9/api/",
        database_url=url,
    )


def _member(url: str) -> str:
    """The person with the most entries who is not an ambassador: the heaviest member's view."""
    engine = make_engine(url, pool_size=1)
    try:
        with make_session_factory(engine)() as session:
            row = session.execute(
                select(Entry.author_id, func.count())
                .where(Entry.team_id == TEAM, Entry.author_id != READER)
                .group_by(Entry.author_id)
                .order_by(func.count().desc())
                .limit(1)
            ).first()
            return str(row[0]) if row else READER
    finally:
        engine.dispose()


@dataclass
class Measured:
    page: str
    status: int
    size: int
    cold: float  # ms: the process's first request of the page
    made: list[float]  # ms: each by a new Dashboard (nothing shared from an earlier request)
    shared: float  # ms: asked again of the same Dashboard within the minute (the shared figures, if any)


def measure(url: str, user: str, runs: int, pages: Sequence[str] = PAGES, now: datetime = NOW) -> list[Measured]:
    settings = _settings(url)
    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    who = cookies.SignedIn(TEAM, user, "Bench", "csrf-token", "bench")
    cookie = f"{cookies.SESSION_COOKIE}={cookies.session_cookie(settings.dashboard_key, who, now=now)}"
    found = []

    def timed(dashboard: Dashboard, request: Request) -> tuple[float, int, int]:
        started = time.perf_counter()
        answer = dashboard.handle(request)
        return (time.perf_counter() - started) * 1000, answer.status, len(answer.body)

    try:
        for page in pages:
            path, _, query = page.partition("?")
            request = Request("GET", path, query, {"cookie": [cookie], "host": ["bench"]})
            cold, status, size = timed(Dashboard(settings, factory, clock=lambda: now), request)
            made = []
            for _ in range(runs):
                dashboard = Dashboard(settings, factory, clock=lambda: now)
                made.append(timed(dashboard, request)[0])
            shared = timed(dashboard, request)[0]
            found.append(Measured(page, status, size, cold, made, shared))
    finally:
        engine.dispose()
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 100,000-entry workspace")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="generate the workspace again")
    parser.add_argument("--only", default="", help="the pages whose path contains this (e.g. health)")
    parser.add_argument(
        "--at",
        type=datetime.fromisoformat,
        default=NOW,
        help="the requests' clock (ISO, with an offset), e.g. 2026-09-30T20:00+00:00: the end of a quarter, when "
        "habit health counts the most (the workspace's entries end at 2026-11-23)",
    )
    options = parser.parse_args(argv)
    admin = os.environ.get("MINDSET_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    role = "short" if options.quick else "long"
    (spec,) = [spec for backend, kind, spec in specs(False) if backend == "postgresql" and kind == role]
    started = time.perf_counter()
    # a database of its own (the same generator and spec as benchmark 2's): never drops one benchmark 2 is using
    digest_bench.PG_PREFIX = PG_PREFIX
    dataset = _pg_dataset(admin, role, spec, fresh=options.fresh)
    prepared = time.perf_counter() - started
    member = _member(dataset.url)
    _forget_kept_figures(dataset.url)  # cold: habit health counts every week and quarter, as on a first request
    command = "python -m bench.dashboard" + (f" --at {options.at.isoformat()}" if options.at != NOW else "")
    print(f"## 9. Web dashboard at scale\n\n{facts_block(machine_facts(admin), command)}\n")
    print(
        f"Workspace: {dataset.label} (benchmark 2's, {'cached' if dataset.cached else 'generated'}; "
        f"{prepared:.0f} s to get ready). Time of `Dashboard.handle` per page, in ms: *cold*, the process's first "
        f"request of it; *made*, the median (and max) of {options.runs} requests each made afresh (a new "
        "`Dashboard`: nothing shared from an earlier request); *again*, the same page asked again within the "
        f"minute (the workspace's figures shared). Target: under {TARGET_MS:.0f} ms. The habit-health figures "
        "the dashboard keeps (`dashboard_figures`) are deleted before the ambassador's cold request: it counts "
        "the weeks and quarters that are over, as the first request ever in a time zone does; the requests after "
        "it read them.\n"
    )
    rows = []
    worst = 0.0
    for who, user in (("ambassador", READER), ("member", member)):
        chosen = [page for page in PAGES if options.only in page]
        for found in measure(dataset.url, user, options.runs, chosen, options.at):
            middle = statistics.median(found.made)
            worst = max(worst, middle)
            rows.append(
                [
                    who,
                    f"`{found.page}`",
                    str(found.status),
                    f"{found.size / 1024:.0f}",
                    f"{found.cold:.1f}",
                    f"**{middle:.1f}**",
                    f"{max(found.made):.1f}",
                    f"{found.shared:.1f}",
                    "yes" if middle < TARGET_MS else "**no**",
                ]
            )
    header = ["viewer", "page", "status", "KiB", "cold ms", "made ms", "max ms", "again ms", "< 300 ms"]
    print(table(header, rows))
    print(f"\nSlowest page (made, median): {worst:.1f} ms.")
    if options.only in "/dashboard/health":
        keeping, first = _after_the_engines_pass(dataset.url, options.at)
        print(
            f"\nThe engine's pass (`figures_kept.keep` for the ambassador's zone, all kept figures deleted "
            f"before): {keeping:.1f} ms in the background; the ambassador's first `/dashboard/health` after it, "
            f"in a new process's `Dashboard`: {first:.1f} ms."
        )
    return 0


def _forget_kept_figures(url: str) -> None:
    engine = make_engine(url, pool_size=1)
    try:
        with make_session_factory(engine)() as session:
            session.execute(delete(DashboardFigures))
            session.commit()
    finally:
        engine.dispose()


def _after_the_engines_pass(url: str, now: datetime) -> tuple[float, float]:
    """ms of the engine's pass from nothing kept, then of the ambassador's first habit-health request after it."""
    _forget_kept_figures(url)
    engine = make_engine(url, pool_size=2)
    try:
        factory = make_session_factory(engine)
        with factory() as session:
            viewer = viewer_of(session, team_id=TEAM, user_id=READER)
            assert viewer is not None
            started = time.perf_counter()
            figures_kept.keep(session, team_id=TEAM, zone=viewer.zone, now=now)
            keeping = (time.perf_counter() - started) * 1000
    finally:
        engine.dispose()
    (found,) = measure(url, READER, 1, ["/dashboard/health"], now)
    return keeping, found.cold


if __name__ == "__main__":
    raise SystemExit(main())
