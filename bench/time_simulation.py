"""The full simulation of issue 16: a year in 40 time zones, 20 seeds, every message checked against the
timing rules (tests/time_sim.py), with the counts per message kind and the violations written into
bench/RESULTS.md (section "8. A year in 40 time zones").

    .venv/bin/python -m bench.time_simulation                      # 20 seeds, a year, 40 zones, SQLite
    .venv/bin/python -m bench.time_simulation --seeds 3 --days 120 # a shorter run
    .venv/bin/python -m bench.time_simulation --seed 7             # replay one seed (a failing one is printed)
    .venv/bin/python -m bench.time_simulation --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Each seed gets its own database (a SQLite file, or a PostgreSQL database created and dropped) and its own
fake Slack. It needs the project's test extras (the fake Slack lives in tests/).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.deps import Deps  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.time_sim import ZONES, Config, Result, simulate  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
OUT = Path(tempfile.gettempdir()) / "mindset-time-simulation"
SECTION = "## 8. A year in 40 time zones (issue 16)"
START = datetime(2026, 12, 28, tzinfo=UTC)  # a Monday: the year 2027, its four quarterly reviews and 2028's first


def settings_for(url: str, fake: FakeSlack) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        slack_bot_token="xoxb-sim-token",
        slack_signing_secret="sim-signing-secret",
        slack_app_token=None,
        slack_api_url=fake.api_url,
        database_url=url,
        port=3000,
        log_level="WARNING",
        token_encryption_keys="e6rucdeEVXf8FwbpNtpf0KWoVJqxIaTki1fAUCGIHBw=",
    )


def run_seed(config: Config, workdir: Path, pg_url: str | None) -> tuple[Result, float]:
    fake = FakeSlack()
    database = None
    if pg_url:
        from sqlalchemy import create_engine, text

        admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
        database = f"mindset_sim_{config.seed}_{int(time.time())}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = pg_url.rsplit("/", 1)[0] + f"/{database}"
    else:
        url = f"sqlite:///{workdir / f'sim-{config.seed}.db'}"
    engine = make_engine(url, pool_size=5)
    try:
        migrate.upgrade(engine)
        deps = Deps(settings=settings_for(url, fake), session_factory=make_session_factory(engine))
        started = time.perf_counter()
        result = simulate(config, deps, fake)
        return result, time.perf_counter() - started
    finally:
        engine.dispose()
        fake.close()
        if pg_url and database:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))


def record(config: Config, result: Result, seconds: float) -> dict[str, object]:
    return {
        "seed": config.seed,
        "start": config.start.isoformat(),
        "days": config.days,
        "zones": len(config.zones),
        "people_per_zone": config.people_per_zone,
        "engines": config.engines,
        "outages": config.outages,
        "ticks": result.ticks,
        "kills": result.kills,
        "outage_hours": result.outage_hours,
        "checked": dict(result.checked),
        "expected": dict(result.expected),
        "violations": [str(violation) for violation in result.violations],
        "seconds": seconds,
    }


def markdown(records: list[dict[str, Any]], backend: str) -> str:
    checked: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    for found in records:
        checked.update(found["checked"])
        expected.update(found["expected"])
    violations = [violation for found in records for violation in found["violations"]]
    first = records[0]
    shapes = {(found["days"], found["zones"], found["people_per_zone"]) for found in records}
    lines = [
        SECTION,
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {backend}: {len(records)} seeds "
        f"({', '.join(str(found['seed']) for found in records)}), "
        + "; ".join(f"{days} days, {zones} zones, {per} person(s) per zone" for days, zones, per in sorted(shapes))
        + f", from {first['start'][:10]}, two workspaces, {first['engines']} engines (killed at random ticks and "
        f"restarted), {first['outages']} whole days without any engine per seed. `python -m bench.time_simulation` "
        "(tests/time_sim.py; CI runs a quarter in 10 zones, tests/test_time_simulation.py).",
        "",
        "| seed | days | zones | engine ticks | engines killed | hours without an engine | messages checked "
        "| violations | seconds |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for found in records:
        messages = sum(v for k, v in found["checked"].items() if not k.startswith("horizon"))
        lines.append(
            f"| {found['seed']} | {found['days']} | {found['zones']} | {found['ticks']} | {found['kills']} | "
            f"{found['outage_hours']:.0f} | {messages} | {len(found['violations'])} | {found['seconds']:.0f} |"
        )
    lines += ["", "| message kind | sent and checked | expected (never-missed check) |", "|---|---:|---:|"]
    for kind in sorted(set(checked) | set(expected)):
        lines.append(f"| {kind} | {checked.get(kind, 0)} | {expected.get(kind, '') or ''} |")
    lines += ["", f"**Violations: {len(violations)}**" + (":" if violations else "."), ""]
    lines += [f"- {violation}" for violation in violations[:40]]
    if len(violations) > 40:
        lines.append(f"- … and {len(violations) - 40} more")
    return "\n".join(lines).rstrip() + "\n"


def write(section: str) -> None:
    text = RESULTS.read_text()
    if SECTION in text:
        before, _, after = text.partition(SECTION)
        rest = after.split("\n## ", 1)
        text = before + section + ("\n## " + rest[1] if len(rest) > 1 else "")
    else:
        marker = "## Findings"
        before, found, after = text.partition(marker)
        text = before + section + "\n" + found + after if found else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--seed", type=int, help="replay this one seed")
    parser.add_argument("--days", type=int, default=372)
    parser.add_argument("--zones", type=int, default=40)
    parser.add_argument("--people-per-zone", type=int, default=1)
    parser.add_argument("--pg-url", help="a PostgreSQL admin URL: each seed in a database of its own")
    parser.add_argument("--out", type=Path, default=OUT, help="where each seed's counts are kept (JSON)")
    parser.add_argument("--report", action="store_true", help="only write RESULTS.md from the kept counts")
    parser.add_argument("--no-write", action="store_true", help="print, do not write bench/RESULTS.md")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.pg_url else "SQLite"
    if not args.report:
        seeds = [args.seed] if args.seed is not None else list(range(args.first_seed, args.first_seed + args.seeds))
        args.out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="mindset-sim-") as workdir:
            for seed in seeds:
                config = Config(
                    seed=seed,
                    start=START,
                    days=args.days,
                    zones=ZONES[: args.zones],
                    people_per_zone=args.people_per_zone,
                )
                result, seconds = run_seed(config, Path(workdir), args.pg_url)
                (args.out / f"{backend}-seed-{seed}.json").write_text(json.dumps(record(config, result, seconds)))
                print(
                    f"seed {seed}: {result.ticks} ticks, {result.kills} kills, {len(result.violations)} violations, "
                    f"{seconds:.0f} s; checked {dict(result.checked)}",
                    flush=True,
                )
                for violation in result.violations[:10]:
                    print(f"  {violation}", flush=True)
                if result.violations:
                    replay = f"python -m bench.time_simulation --seed {seed} --days {args.days} --zones {args.zones}"
                    print(f"  replay: {replay}", flush=True)
    records = [json.loads(path.read_text()) for path in sorted(args.out.glob(f"{backend}-seed-*.json"))]
    records.sort(key=lambda found: int(found["seed"]))
    if not records:
        return
    section = markdown(records, backend)
    print(section)
    if not args.no_write:
        write(section)


if __name__ == "__main__":
    main()
