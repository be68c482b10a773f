"""The habit health page's figures as the database counts them (storage/repositories/dashboard.py: people per week;
prouds, sorries, root causes and the median wait for one; entries and people per customer group and area, per
quarter) equal the same figures counted here in Python from the entries themselves, on both databases, for
generated entries around the weeks' and quarters' local midnights in several time zones."""

from __future__ import annotations

import bisect
import random
import statistics
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bot.dashboard.service import last_quarters
from storage.db import make_session_factory
from storage.models import Area, CustomerGroup, Entry, EntryCustomerGroup
from storage.repositories import dashboard as repo

TEAM = "T111"
OTHER_TEAM = "T222"
AUTHORS = [f"U{number:03d}" for number in range(12)]
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
GROUPS = [1, 2, 3, 4]


def generate(session: Session, seed: int, count: int = 1500) -> None:
    rng = random.Random(seed)
    for group_id in GROUPS:
        session.add(
            CustomerGroup(
                id=group_id, team_id=TEAM, name=f"g{group_id}", name_key=f"g{group_id}", created_by="U", created_at=NOW
            )
        )
    session.flush()
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
        session.flush()
        for group_id in rng.sample(GROUPS, rng.choice([0, 1, 1, 2, 3])):
            session.add(EntryCustomerGroup(entry_id=entry.id, group_id=group_id))
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


def counted_here(session: Session, author: str | None, weeks: repo.Ranges, quarters: repo.Ranges) -> dict:
    """The figures from the entries themselves: each entry placed among the ranges' bounds by bisection."""
    entries = [e for e in session.query(Entry).filter(Entry.team_id == TEAM) if author is None or e.author_id == author]
    tags: dict[int, list[int]] = {}
    for tag in session.query(EntryCustomerGroup):
        tags.setdefault(tag.entry_id, []).append(tag.group_id)

    def at(ranges: repo.Ranges, moment: datetime) -> int:
        index = bisect.bisect_right(ranges.bounds, moment) - 1
        return index if 0 <= index < len(ranges) else -1

    people: list[set[str]] = [set() for _ in range(len(weeks))]
    kinds = [[0, 0, 0] for _ in range(len(quarters))]
    waits: list[list[float]] = [[] for _ in range(len(quarters))]
    splits: dict[tuple[str, int, object], tuple[int, set[str]]] = {}
    for entry in entries:
        week = at(weeks, entry.created_at)
        if week >= 0:
            people[week].add(entry.author_id)
        quarter = at(quarters, entry.created_at)
        if quarter < 0:
            continue
        if entry.kind == "proud":
            kinds[quarter][0] += 1
        else:
            kinds[quarter][1] += 1
            kinds[quarter][2] += entry.root_cause_at is not None
            if entry.root_cause_at is not None and entry.root_cause_at >= entry.created_at:
                waits[quarter].append((entry.root_cause_at - entry.created_at).total_seconds() / 86400)
        keys: list[tuple[str, object]] = [("group", group_id) for group_id in tags.get(entry.id, [])]
        if entry.area is not None:
            keys.append(("area", entry.area))
        for what, key in keys:
            count, who = splits.get((what, quarter, key), (0, set()))
            splits[(what, quarter, key)] = (count + 1, who | {entry.author_id})
    return {
        "participation": [len(found) for found in people],
        "kinds": [repo.RangeKinds(*counts) for counts in kinds],
        "days": [statistics.median(found) if found else None for found in waits],
        "groups": {(q, k, n, len(p)) for (w, q, k), (n, p) in splits.items() if w == "group"},
        "areas": {(q, k, n, len(p)) for (w, q, k), (n, p) in splits.items() if w == "area"},
    }


def _set(counts: list[repo.SplitCount]) -> set[tuple[int, object, int, int]]:
    return {(c.index, c.key, c.entries, c.people) for c in counts}


@pytest.mark.parametrize("seed", [1, 2])
def test_the_figures_the_database_counts_equal_the_entries_counted_one_by_one(session: Session, seed: int) -> None:
    generate(session, seed)
    for name in ("Europe/Berlin", "Pacific/Kiritimati", "America/St_Johns", "UTC"):
        weeks, quarters = ranges(ZoneInfo(name))
        assert len(weeks) == 52 and len(quarters) == 4
        for author in (None, AUTHORS[0]):
            expected = counted_here(session, author, weeks, quarters)
            assert (
                repo.participants_by_range(session, team_id=TEAM, author_id=author, ranges=weeks)
                == expected["participation"]
            )
            assert repo.kinds_by_range(session, team_id=TEAM, author_id=author, ranges=quarters) == expected["kinds"]
            assert repo.median_days_to_cause(session, team_id=TEAM, author_id=author, ranges=quarters) == pytest.approx(
                expected["days"], rel=1e-9
            )
            # PostgreSQL reads both in one statement
            both = repo.kinds_and_waits(session, team_id=TEAM, author_id=author, ranges=quarters)
            assert both[0] == expected["kinds"] and both[1] == pytest.approx(expected["days"], rel=1e-9)
            groups = repo.groups_by_range(session, team_id=TEAM, author_id=author, ranges=quarters)
            assert _set(groups) == expected["groups"]
            areas = repo.areas_by_range(session, team_id=TEAM, author_id=author, ranges=quarters)
            assert _set(areas) == expected["areas"]
            if author is None:  # not vacuous: people every week, every kind, group and area in every quarter
                assert min(expected["participation"]) > 0
                assert all(k.prouds and k.sorries and k.sorries_with_cause for k in expected["kinds"])
                assert len(expected["groups"]) == 4 * len(GROUPS) and len(expected["areas"]) == 4 * len(Area)
