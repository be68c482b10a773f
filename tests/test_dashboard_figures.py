"""The habit health page's figures read in one pass (`dashboard.entry_figures`: GROUPING SETS on PostgreSQL) equal
the statements they replace (people per week, kinds, root causes and their median wait, areas per quarter), on
both databases, for generated entries around the weeks' and quarters' local midnights in several time zones."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.dashboard.service import last_quarters
from storage.db import make_session_factory
from storage.models import Area, Entry
from storage.repositories import dashboard as repo

TEAM = "T111"
OTHER_TEAM = "T222"
AUTHORS = [f"U{number:03d}" for number in range(12)]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def generate(session: Session, seed: int, count: int = 1500) -> None:
    rng = random.Random(seed)
    origin = NOW - timedelta(days=460)
    for number in range(count):
        at = origin + timedelta(seconds=rng.randrange(470 * 86400))
        if rng.random() < 0.3:  # at a local midnight somewhere, give or take a minute
            at = at.replace(minute=0, second=0) + timedelta(seconds=rng.randrange(-60, 60))
        kind = rng.choice(["proud", "sorry", "sorry"])
        entry = Entry(
            team_id=TEAM if number % 10 else OTHER_TEAM,
            kind=kind,
            author_id=rng.choice(AUTHORS),
            channel_id="C1",
            text=f"entry {number}",
            area=rng.choice([None, *(area.value for area in Area)]),
            created_at=at,
            idempotency_key=f"{seed}-{number}",
        )
        if kind == "sorry" and rng.random() < 0.5:
            # a root cause after a while, now and then one dated before the entry (not a wait)
            entry.root_cause, entry.root_cause_by = "why", entry.author_id
            entry.root_cause_at = at + timedelta(hours=rng.randrange(-5, 24 * 30))
        elif kind == "proud" and rng.random() < 0.1:
            entry.root_cause_at = at + timedelta(hours=3)
        session.add(entry)
    session.commit()


def ranges(zone: ZoneInfo) -> tuple[repo.Ranges, repo.Ranges]:
    """The weeks and quarters of the habit health page on NOW's local day, as bot.dashboard.service makes them."""
    today = NOW.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())

    def start(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

    weeks = tuple(start(monday - timedelta(weeks=back)) for back in range(51, -2, -1))
    quarters = last_quarters(today, zone)
    return (
        repo.Ranges(weeks, "week", zone.key),
        repo.Ranges((*(q.start for q in quarters), quarters[-1].end), "quarter", zone.key),
    )


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


@pytest.mark.parametrize("seed", [1, 2])
def test_the_figures_read_in_one_pass_equal_the_statements_they_replace(session: Session, seed: int) -> None:
    generate(session, seed)
    for name in ("Europe/Berlin", "Pacific/Kiritimati", "America/St_Johns", "UTC"):
        weeks, quarters = ranges(ZoneInfo(name))
        assert len(weeks) == 52 and len(quarters) == 4
        for author in (None, AUTHORS[0]):
            scope = {"team_id": TEAM, "author_id": author}
            got = repo.entry_figures(session, **scope, weeks=weeks, quarters=quarters)
            assert got.participation == repo.participants_by_range(session, **scope, ranges=weeks)
            assert got.kinds == repo.kinds_by_range(session, **scope, ranges=quarters)
            assert got.days_to_cause == repo.median_days_to_cause(session, **scope, ranges=quarters)
            assert sorted(got.areas, key=repr) == sorted(
                repo.areas_by_range(session, **scope, ranges=quarters), key=repr
            )
            # not vacuous: people every week, entries of each kind and area, waits, in every quarter
            if author is None:
                assert min(got.participation) > 0
                assert all(k.prouds and k.sorries and k.sorries_with_cause for k in got.kinds)
                assert None not in got.days_to_cause
                assert len(got.areas) == 4 * len(Area)


def test_a_workspace_without_entries_has_empty_figures(session: Session) -> None:
    weeks, quarters = ranges(ZoneInfo("Europe/Berlin"))
    got = repo.entry_figures(session, team_id=TEAM, author_id=None, weeks=weeks, quarters=quarters)
    assert got == repo.EntryFigures([0] * 52, [repo.RangeKinds()] * 4, [None] * 4, [])
