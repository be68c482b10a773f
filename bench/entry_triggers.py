"""What the dashboard's triggers (migrations 0023 and 0024) cost the write path: storing an entry with its tags.

Each round stores `--entries` entries (half of them with one or two customer group tags), one transaction
each, through the bot's own statement (`storage.repositories.entries.insert_entry_once`), into a migrated
database with the triggers and into one where they were dropped; the two alternate, three rounds each, on
PostgreSQL and on SQLite. Also: an old sorry's root cause written (the trigger that forgets a quarter's kept
figures), with and without. Medians of the rounds, per entry.

    python -m bench.entry_triggers [--entries 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text, update

from bench.common import DEFAULT_PG_ADMIN_URL, facts_block, machine_facts, table
from storage import migrate
from storage.db import make_engine, make_session_factory
from storage.models import CustomerGroup, Entry
from storage.repositories import entries as entries_repo

TEAM = "TBENCH"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"mindset_bench_triggers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def _trigger_names() -> list[tuple[str, str]]:
    """(trigger, table) of the two migrations."""
    found: list[tuple[str, str]] = []
    for module in ("0023_dashboard_figures", "0024_entry_tags_carry_their_entry"):
        found += importlib.import_module(f"storage.migrations.versions.{module}")._TABLE_OF.items()
    return found


def drop_triggers(engine: Engine) -> None:
    postgresql = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        for name, on in _trigger_names():
            connection.execute(text(f"DROP TRIGGER {name}" + (f" ON {on}" if postgresql else "")))


def prepare(engine: Engine) -> list[int]:
    migrate.upgrade(engine)
    with make_session_factory(engine)() as session:
        groups = [
            CustomerGroup(team_id=TEAM, name=f"g{n}", name_key=f"g{n}", created_by="U1", created_at=START)
            for n in range(10)
        ]
        session.add_all(groups)
        session.commit()
        return [group.id for group in groups]


def store(engine: Engine, groups: Sequence[int], count: int, offset: int) -> float:
    """Seconds per entry, each stored and committed alone."""
    factory = make_session_factory(engine)
    started = time.perf_counter()
    for number in range(offset, offset + count):
        tags = [groups[number % len(groups)], groups[(number * 7) % len(groups)]][: number % 3]
        with factory() as session:
            entries_repo.insert_entry_once(
                session,
                entries_repo.NewEntryRow(
                    team_id=TEAM,
                    kind="sorry" if number % 3 else "proud",
                    author_id=f"U{number % 500}",
                    channel_id="C1",
                    text=f"entry {number}",
                    created_at=START + timedelta(minutes=number),
                    idempotency_key=f"bench:{number}",
                ),
                group_ids=sorted(set(tags)),
            )
            session.commit()
    return (time.perf_counter() - started) / count


def root_causes(engine: Engine, count: int, offset: int) -> float:
    """Seconds per root cause written to an entry stored earlier, each committed alone."""
    factory = make_session_factory(engine)
    started = time.perf_counter()
    for number in range(offset, offset + count):
        with factory() as session:
            session.execute(
                update(Entry)
                .where(Entry.team_id == TEAM, Entry.idempotency_key == f"bench:{number}")
                .values(root_cause="why", root_cause_at=START + timedelta(days=30, minutes=number))
            )
            session.commit()
    return (time.perf_counter() - started) / count


def measure(make: Callable[[str], tuple[Engine, Callable[[], None]]], entries: int, rounds: int) -> list[list[str]]:
    engines = {}
    cleanups = []
    for label in ("with the triggers", "without them"):
        engine, cleanup = make(label)
        groups = prepare(engine)
        if label == "without them":
            drop_triggers(engine)
        engines[label] = (engine, groups)
        cleanups.append(cleanup)
    stored: dict[str, list[float]] = {label: [] for label in engines}
    caused: dict[str, list[float]] = {label: [] for label in engines}
    try:
        for round_number in range(rounds):
            for label, (engine, groups) in engines.items():
                stored[label].append(store(engine, groups, entries, round_number * entries))
            for label, (engine, _groups) in engines.items():
                caused[label].append(root_causes(engine, entries // 2, round_number * entries))
    finally:
        for cleanup in cleanups:
            cleanup()
    rows = []
    for label in engines:
        rows.append(
            [
                label,
                f"{statistics.median(stored[label]) * 1000:.3f}",
                f"{statistics.median(caused[label]) * 1000:.3f}",
            ]
        )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.entry_triggers", description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    options = parser.parse_args(argv)
    facts = facts_block(machine_facts(options.pg_admin_url), "python -m bench.entry_triggers")
    print(f"## The dashboard's triggers on the write path\n\n{facts}\n")
    workdir = Path(tempfile.mkdtemp(prefix="mindset-triggers-"))

    def sqlite(label: str) -> tuple[Engine, Callable[[], None]]:
        engine = make_engine(f"sqlite:///{workdir / (label.replace(' ', '_') + '.db')}", pool_size=1)
        return engine, engine.dispose

    def postgresql(_label: str) -> tuple[Engine, Callable[[], None]]:
        url, drop = _pg_database(options.pg_admin_url)
        engine = make_engine(url, pool_size=1)

        def cleanup() -> None:
            engine.dispose()
            drop()

        return engine, cleanup

    header = ["database", "", "ms per entry stored (tags: 0, 1 or 2)", "ms per root cause written"]
    rows = []
    for name, make in (("PostgreSQL", postgresql), ("SQLite", sqlite)):
        for row in measure(make, options.entries, options.rounds):
            rows.append([name, *row])
    print(
        f"{options.entries} entries stored and {options.entries // 2} root causes written per round, each in a "
        f"transaction of its own; medians of {options.rounds} alternating rounds.\n"
    )
    print(table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
