"""The Success Index counted by the database (`success_index.kept_and_due`, what the dashboard shows) equals the
Python definition (`success_index.commitments`) on both databases: for generated histories of commitments (moved
before and during the quarter, dropped before it, done within hours of the end of their due day in time zones from
UTC-12 to UTC+14), for each quarter so far and over, for everyone and for some people."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.services import success_index as si
from bot.worktime import quarter_bounds
from storage.db import make_session_factory
from storage.models import ActionEvent, ActionItem, ActionStatus, Person
from storage.repositories import actions as actions_repo
from storage.repositories.erasure import FORGOTTEN

TEAM = "T111"
OTHER_TEAM = "T222"
# the widest offsets there are (UTC+14, UTC-12), odd ones, one with DST, one unknown to the bot (counts as UTC),
# one without a zone, and an owner the bot has no person for
ZONES = {
    "UKIRI": "Pacific/Kiritimati",
    "UWEST": "Etc/GMT+12",
    "UKTM": "Asia/Kathmandu",
    "UNFLD": "America/St_Johns",
    "UBER": "Europe/Berlin",
    "UBAD": "Not/A_Zone",
    "UNONE": None,
}
OWNERS = [*ZONES, "UNOBODY", FORGOTTEN]
STATUSES = [status.value for status in ActionStatus] + [ActionStatus.DONE.value] * 3
# the boundaries the rule compares with: a moment exactly at a quarter's start is not before it
QUARTER_STARTS = [datetime(2026, month, 1, tzinfo=UTC) for month in (1, 4, 7)]


def _moment(rng: random.Random, first: datetime, days: int) -> datetime:
    if rng.random() < 0.1:
        return rng.choice(QUARTER_STARTS)
    return first + timedelta(seconds=rng.randrange(days * 86400))


def generate(session: Session, seed: int, count: int = 800) -> None:
    rng = random.Random(seed)
    for user, tz in ZONES.items():
        session.add(Person(team_id=TEAM, user_id=user, tz=tz))
    origin = datetime(2025, 11, 1, tzinfo=UTC)
    for number in range(count):
        team = TEAM if number % 10 else OTHER_TEAM
        owner = rng.choice(OWNERS)
        created = _moment(rng, origin, 250)
        original = created.date() + timedelta(days=rng.randrange(0, 100))
        due = original
        item = ActionItem(
            team_id=team,
            title=f"item {number}",
            owner_id=owner,
            created_by=owner,
            created_at=created,
            due_date=original,
            original_due_date=original,
            idempotency_key=f"{seed}-{number}",
        )
        session.add(item)
        session.flush()
        moment = created
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            moment = max(moment, _moment(rng, moment, 40))
            due = due + timedelta(days=rng.randrange(-20, 40))
            new_value = rng.choice([due.isoformat()] * 8 + ["", None])
            session.add(
                ActionEvent(
                    action_id=item.id,
                    team_id=team,
                    at=moment,
                    by=owner,
                    kind="rescheduled",
                    old_value=None,
                    new_value=new_value,
                )
            )
            if new_value:
                item.due_date = due
        # something else happened too (only reschedules move the date)
        session.add(ActionEvent(action_id=item.id, team_id=team, at=moment, by=owner, kind="note", new_value="x"))
        item.status = rng.choice(STATUSES)
        if item.status in (ActionStatus.DONE.value, ActionStatus.DROPPED.value):
            # most within a day and a half of the end of a due day (where only the owner's zone can tell)
            day = rng.choice([original, item.due_date])
            end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            if rng.random() < 0.7:
                item.closed_at = end_of_day + timedelta(minutes=rng.randrange(-36 * 60, 36 * 60))
            else:
                item.closed_at = _moment(rng, created, 200)
    session.commit()


def by_python(
    session: Session,
    *,
    year: int,
    quarter: int,
    until: date | None,
    user_ids: list[str] | None,
    zones: dict[str, ZoneInfo] | None,
    team_id: str = TEAM,
) -> dict[str, tuple[int, int]]:
    found: dict[str, list[int]] = {}
    for commitment in si.commitments(
        session, team_id=team_id, year=year, quarter=quarter, user_ids=user_ids, until=until, zones=zones
    ):
        counts = found.setdefault(commitment.owner_id, [0, 0])
        counts[0] += commitment.kept
        counts[1] += 1
    return {owner: (kept, due) for owner, (kept, due) in found.items()}


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


@pytest.mark.parametrize("seed", [1, 2])
def test_the_index_counted_by_the_database_equals_the_definition(session: Session, seed: int) -> None:
    generate(session, seed)
    zones = si.owner_zones(session, team_id=TEAM)
    assert zones["UKIRI"] == ZoneInfo("Pacific/Kiritimati") and zones["UBAD"] == ZoneInfo("UTC")
    compared = 0
    for year, quarter in ((2025, 4), (2026, 1), (2026, 2), (2026, 3)):
        first, _ = quarter_bounds(year, quarter)
        for until in (None, first + timedelta(days=45)):
            for user_ids in (None, ["UKIRI", "UWEST", "UNOBODY", FORGOTTEN]):
                for owner_zones in (zones, None):
                    asked = dict(year=year, quarter=quarter, until=until, user_ids=user_ids, zones=owner_zones)
                    expected = by_python(session, **asked)  # type: ignore[arg-type]
                    got = si.kept_and_due(session, team_id=TEAM, **asked)  # type: ignore[arg-type]
                    assert got == expected, asked
                    compared += sum(due for _, due in expected.values())
    # the comparison is not vacuous: many commitments, some kept, some within hours of the end of their day
    assert compared > 500
    other = si.kept_and_due(session, team_id=OTHER_TEAM, year=2026, quarter=2)
    assert other == by_python(session, year=2026, quarter=2, until=None, user_ids=None, zones=None, team_id=OTHER_TEAM)
    assert set(other) <= set(OWNERS)


def test_a_commitment_done_late_in_the_evening_is_kept_by_the_owners_own_date(session: Session) -> None:
    """Due on 1 May, done at 23:30 UTC: still 1 May in Newfoundland, already 2 May in Berlin; done at 09:30 UTC:
    23:30 on 1 May at UTC+14, kept there too."""
    for user, tz in (("UBER", "Europe/Berlin"), ("UNFLD", "America/St_Johns"), ("UKIRI", "Pacific/Kiritimati")):
        session.add(Person(team_id=TEAM, user_id=user, tz=tz))
    for number, (owner, hour) in enumerate((("UBER", 23), ("UNFLD", 23), ("UKIRI", 9), ("UKIRI", 10))):
        session.add(
            ActionItem(
                team_id=TEAM,
                title="late",
                owner_id=owner,
                created_by=owner,
                created_at=datetime(2026, 4, 2, tzinfo=UTC),
                due_date=date(2026, 5, 1),
                original_due_date=date(2026, 5, 1),
                status=ActionStatus.DONE.value,
                closed_at=datetime(2026, 5, 1, hour, 30, tzinfo=UTC),
                idempotency_key=f"late-{number}",
            )
        )
    session.commit()
    zones = si.owner_zones(session, team_id=TEAM)
    got = si.kept_and_due(session, team_id=TEAM, year=2026, quarter=2, zones=zones)
    # Kiritimati: 23:30 local on 1 May (kept), then 00:30 on 2 May (missed)
    assert got == {"UBER": (0, 1), "UNFLD": (1, 1), "UKIRI": (1, 2)}
    assert got == by_python(session, year=2026, quarter=2, until=None, user_ids=None, zones=zones)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_quarters_candidates_are_the_items_whose_date_ever_fell_in_it(session: Session, seed: int) -> None:
    """`quarter_commitments` (one scan of three indexes on PostgreSQL, a union on SQLite) chooses exactly the items
    made by the quarter's end whose due date, first promise or any move fell in the days counted."""
    generate(session, seed)
    items = session.scalars(select(ActionItem).where(ActionItem.team_id == TEAM)).all()
    moves: dict[int, list[str]] = {}
    for event in session.scalars(select(ActionEvent).where(ActionEvent.kind == "rescheduled")):
        moves.setdefault(event.action_id, []).append(event.new_value or "")
    compared = 0
    for year, quarter in ((2025, 4), (2026, 1), (2026, 2), (2026, 3)):
        first, last = quarter_bounds(year, quarter)
        for last_counted in (last, first + timedelta(days=45)):
            for user_ids in (None, ["UKIRI", "UWEST", "UNOBODY"]):
                query = actions_repo.quarter_commitments(
                    session,
                    team_id=TEAM,
                    first=first,
                    last=last,
                    last_counted=last_counted,
                    user_ids=user_ids,
                    columns=(ActionItem.id, ActionItem.created_at, ActionItem.owner_id),
                )
                got = [row.id for row in session.execute(query)]
                expected = {
                    item.id
                    for item in items
                    if item.created_at <= datetime.combine(last, time.max, tzinfo=UTC)
                    and (user_ids is None or item.owner_id in user_ids)
                    and (
                        first <= item.due_date <= last_counted
                        or first <= item.original_due_date <= last_counted
                        or any(
                            first.isoformat() <= moved <= last_counted.isoformat() for moved in moves.get(item.id, [])
                        )
                    )
                }
                assert len(got) == len(set(got)) and set(got) == expected, (year, quarter, last_counted, user_ids)
                compared += len(expected)
    assert compared > 500
