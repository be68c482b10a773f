"""Benchmark 6's composing process: every ambassador's digest of the week, composed alone and from one common part.

    python -m bench.storm_worker --url URL [--runs 3] [--dump FILE]

Each run composes the digest of 2026-W47 (as the engine would on Monday 23 November 2026 at 09:00 in Berlin)
for every active ambassador of the generated workspace twice, in an order that alternates between runs:

- **alone**, as the engine did before: for each reader `digest_reader` (who they are, their zone) and
  `compose` (every query of the digest, for that reader);
- **shared**, as the engine does now: for each reader `digest_reader`, the week's common part from
  `SharedDigests` (composed by the first reader, reused by the others while fresh) and `for_reader`.

Each is timed without rendering (*composed*) and with the message made (`digest_blocks`, `digest_fallback`
and the chart's PNG: per reader when alone, once with the common part when shared). Every reader's two
digests are compared field by field (and the two charts byte for byte): they must be equal. Prints one JSON
object. `--dump FILE` writes every reader's digest (from the common part; composed alone by code that has no
common part, as `bench.storm --compare` runs it from an older copy) as JSON, to compare across versions.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dump", type=Path, default=None)
    args = parser.parse_args()

    from bench.digest_data import NOW, TEAM, WEEK_MONDAY
    from bot.digest.chart import participation_png
    from bot.digest.compose import Digest, compose
    from bot.digest.period import Week
    from bot.engine.senders import digest_reader
    from bot.render.digest import digest_blocks, digest_fallback
    from bot.worktime import local_date, zone
    from storage.db import make_engine, make_session_factory
    from storage.models import Ambassador

    engine = make_engine(args.url, pool_size=2)
    sessions = make_session_factory(engine)
    with sessions() as session:
        readers = list(
            session.scalars(
                select(Ambassador.user_id)
                .where(Ambassador.team_id == TEAM, Ambassador.left_at.is_(None))
                .order_by(Ambassador.user_id)
            )
        )

    def week_of(tz_name: str) -> Week:
        return Week(WEEK_MONDAY, zone(tz_name))

    # digests, charts, composing s, rendering s, composing CPU s (this thread: on SQLite the database's work too)
    Made = tuple[dict[str, Digest], dict[str, bytes], float, float, float]

    def alone() -> Made:
        digests: dict[str, Digest] = {}
        charts: dict[str, bytes] = {}
        composing = rendering = cpu = 0.0
        with sessions() as session:
            for user in readers:
                started, cpu_started = time.perf_counter(), time.thread_time()
                found = digest_reader(session, team_id=TEAM, recipient=user)
                assert found is not None, user
                reader, tz_name = found
                week = week_of(tz_name)
                digest = digests[user] = compose(session, team_id=TEAM, week=week, reader=reader, now=NOW)
                composed = time.perf_counter()
                cpu += time.thread_time() - cpu_started
                digest_blocks(digest, today=local_date(NOW, week.tz))
                digest_fallback(digest)
                charts[user] = participation_png(digest.participation, average=digest.participation_average)
                composing += composed - started
                rendering += time.perf_counter() - composed
        return digests, charts, composing, rendering, cpu

    def shared() -> Made:
        from bot.digest.compose import for_reader
        from bot.digest.shared import DIGEST_FRESH_FOR, SharedDigests, common_digest, digest_key

        digests: dict[str, Digest] = {}
        charts: dict[str, bytes] = {}
        composing = rendering = cpu = 0.0
        commons = SharedDigests(fresh_for=DIGEST_FRESH_FOR, clock=lambda: NOW)
        with sessions() as session:
            for user in readers:
                started, cpu_started = time.perf_counter(), time.thread_time()
                found = digest_reader(session, team_id=TEAM, recipient=user)
                assert found is not None, user
                reader, tz_name = found
                week = week_of(tz_name)
                today = local_date(NOW, week.tz)
                part = commons.get(
                    digest_key(TEAM, week, today),
                    lambda week=week: common_digest(session, team_id=TEAM, week=week, now=NOW),  # type: ignore[misc]
                )
                digest = digests[user] = for_reader(part.common, reader)
                composed = time.perf_counter()
                cpu += time.thread_time() - cpu_started
                digest_blocks(digest, today=today)
                digest_fallback(digest)
                charts[user] = part.chart  # drawn with the common part (counted in composing)
                composing += composed - started
                rendering += time.perf_counter() - composed
        return digests, charts, composing, rendering, cpu

    def one_alone() -> tuple[float, float]:
        """One reader's digest alone, composed (who they are, then `compose`): what the target is a multiple of;
        wall and CPU seconds."""
        with sessions() as session:
            started, cpu_started = time.perf_counter(), time.thread_time()
            found = digest_reader(session, team_id=TEAM, recipient=readers[0])
            assert found is not None
            reader, tz_name = found
            compose(session, team_id=TEAM, week=week_of(tz_name), reader=reader, now=NOW)
            return time.perf_counter() - started, time.thread_time() - cpu_started

    one_alone()  # warm-up: the first compose of a process pays for SQLAlchemy's caches and a new connection
    keys = ("one", "one_cpu", "alone", "alone_ready", "alone_cpu", "shared", "shared_ready", "shared_cpu")
    results: dict[str, list[float]] = {key: [] for key in keys}
    unequal: list[str] = []
    made: dict[str, Made] = {}
    try:
        import bot.digest.shared  # noqa: F401
    except ImportError:  # code from before the common part (a --compare copy): only composing alone
        ways: tuple[str, ...] = ("alone",)
    else:
        ways = ("alone", "shared")
    for run in range(args.runs):
        ones = [one_alone() for _ in range(3)]
        results["one"].append(statistics.median(wall for wall, _ in ones))
        results["one_cpu"].append(statistics.median(cpu for _, cpu in ones))
        for name in ways if run % 2 == 0 else ways[::-1]:
            made[name] = alone() if name == "alone" else shared()
            results[name].append(made[name][2])
            results[f"{name}_ready"].append(made[name][2] + made[name][3])
            results[f"{name}_cpu"].append(made[name][4])
        for user in readers if "shared" in made else ():
            if made["alone"][0][user] != made["shared"][0][user] or made["alone"][1][user] != made["shared"][1][user]:
                unequal.append(user)

    composed = made["shared" if "shared" in made else "alone"][0]
    sample = composed[readers[0]]
    if args.dump is not None:
        args.dump.write_text(
            json.dumps(
                {user: dataclasses.asdict(digest) for user, digest in composed.items()}, default=str, sort_keys=True
            )
        )
    engine.dispose()
    json.dump(
        {
            "dialect": engine.dialect.name,
            "readers": len(readers),
            "runs": results,
            "unequal": sorted(set(unequal)),
            # how differently the readers see the week (what their private channels let them see)
            "distinct_themes": len({d.themes for d in composed.values()}),
            "distinct_quotes": len({d.prouds for d in composed.values()}),
            "distinct_thanks": len({d.contributors for d in composed.values()}),
            "says": {"prouds": sample.prouds_total, "groups": len(sample.groups), "themes": len(sample.themes)},
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
