"""The dashboard's open commitments counted by the database (`dashboard.open_by_owner`, the first ones through
`dashboard.open_actions(limit=...)`) equal the items counted one by one in Python, on both databases: per owner
open, at risk and overdue, and the horizon judged by the owner's local date of creation (items made near midnight
in zones from UTC-12 to UTC+14, due around six months later, made on the 29th to 31st of a month)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Date, Engine, literal, select
from sqlalchemy.orm import Session

from bot.dashboard import service
from bot.dashboard.access import Viewer
from bot.services import success_index
from bot.services.actions import SHORT_TERM_MONTHS, add_months, item_horizon
from bot.worktime import local_date, zone
from storage.db import make_session_factory
from storage.models import OPEN_STATUSES, ActionItem, ActionStatus, Person
from storage.repositories import dashboard as repo
from storage.repositories.dashboard import _plus_months
from storage.repositories.erasure import FORGOTTEN

TEAM = "T111"
OTHER_TEAM = "T222"
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)
ZONES = {
    "UKIRI": "Pacific/Kiritimati",  # UTC+14
    "UWEST": "Etc/GMT+12",  # UTC-12
    "UKTM": "Asia/Kathmandu",  # +5:45
    "UNFLD": "America/St_Johns",  # -3:30, with DST
    "UBER": "Europe/Berlin",
    "UBAD": "Not/A_Zone",  # counts as UTC
    "UNONE": None,
}
OWNERS = [*ZONES, "UNOBODY", FORGOTTEN]
STATUSES = [status.value for status in ActionStatus] + list(OPEN_STATUSES) * 2


def generate(session: Session, seed: int, count: int = 700) -> None:
    rng = random.Random(seed)
    for user, tz in ZONES.items():
        session.add(Person(team_id=TEAM, user_id=user, tz=tz))
    for number in range(count):
        owner = rng.choice(OWNERS)
        day = date(2025, 6, 1) + timedelta(days=rng.randrange(360))
        if rng.random() < 0.3:
            # one of the month's last three days
            day = (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=rng.randrange(1, 4))
        # most made within hours of a UTC midnight, where the owner's zone decides the local date
        created = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
            minutes=rng.randrange(-15 * 60, 15 * 60) if rng.random() < 0.7 else rng.randrange(24 * 60)
        )
        due = add_months(created.date(), SHORT_TERM_MONTHS) + timedelta(days=rng.randrange(-3, 4))
        if rng.random() < 0.3:
            due = created.date() + timedelta(days=rng.randrange(0, 900))
        status = rng.choice(STATUSES)
        session.add(
            ActionItem(
                team_id=TEAM if number % 10 else OTHER_TEAM,
                title=f"item {number}",
                owner_id=owner,
                created_by=owner,
                created_at=created,
                due_date=due,
                original_due_date=due,
                status=status,
                closed_at=created + timedelta(days=3) if status not in OPEN_STATUSES else None,
                # equal due dates, told apart by id
                idempotency_key=f"{seed}-{number}",
            )
        )
    session.commit()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_session_factory(engine)() as session:
        yield session


def test_months_ahead_in_the_database_equal_add_months(session: Session) -> None:
    days = [date(2023, 1, 1) + timedelta(days=n) for n in range(3 * 366)]
    for months in (1, SHORT_TERM_MONTHS, 12):
        for at in range(0, len(days), 100):
            chunk = days[at : at + 100]
            row = session.execute(select(*(_plus_months(session, literal(day, Date), months) for day in chunk))).one()
            assert [str(value)[:10] for value in row] == [add_months(day, months).isoformat() for day in chunk]


def _open_items(session: Session, owner_ids: list[str] | None) -> list[ActionItem]:
    items = session.scalars(
        select(ActionItem).where(ActionItem.team_id == TEAM, ActionItem.status.in_(OPEN_STATUSES))
    ).all()
    return sorted(
        (i for i in items if i.owner_id != FORGOTTEN and (owner_ids is None or i.owner_id in owner_ids)),
        key=lambda i: (i.due_date, i.id),
    )


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("owner_ids", [None, ["UKIRI", "UWEST"]])
def test_open_commitments_counted_by_the_database_equal_the_items_one_by_one(
    session: Session, seed: int, owner_ids: list[str] | None
) -> None:
    generate(session, seed)
    today = date(2026, 2, 1)
    zones = success_index.owner_zones(session, team_id=TEAM)
    items = _open_items(session, owner_ids)
    assert len(items) > 50
    found = repo.open_by_owner(
        session, team_id=TEAM, owner_ids=owner_ids, hidden_owners=(FORGOTTEN,), today=today, short_months=6
    )
    expected: dict[str, list[int]] = {}
    horizons: Counter[str] = Counter()
    for item in items:
        counts = expected.setdefault(item.owner_id, [0, 0, 0])
        counts[0] += 1
        counts[1] += item.status == ActionStatus.AT_RISK.value
        counts[2] += item.due_date < today
        horizons[item_horizon(item.created_at, item.due_date, zones.get(item.owner_id, zone(None))).value] += 1
    assert {owner: [c.open, c.at_risk, c.overdue] for owner, c in found.items()} == expected
    judged: Counter[str] = Counter()
    for owner, counts in found.items():
        assert counts.open == counts.short + counts.long + len(counts.near)
        judged["short"] += counts.short
        judged["long"] += counts.long
        judged.update(item_horizon(created, due, zones.get(owner, zone(None))).value for created, due in counts.near)
    assert judged == horizons
    # most are decided by the database, yet the generated items do reach the ones only the zone decides
    near = sum(len(counts.near) for counts in found.values())
    assert 0 < near < len(items) / 2
    for limit in (1, 7, 50, None):
        first = repo.open_actions(session, team_id=TEAM, owner_ids=owner_ids, hidden_owners=(FORGOTTEN,), limit=limit)
        assert [row.id for row in first] == [item.id for item in items][:limit]


@pytest.mark.parametrize("ambassador", [True, False])
def test_the_commitments_page_figures_equal_the_items_one_by_one(
    session: Session, ambassador: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate(session, 3)
    monkeypatch.setattr(service, "OPEN_SHOWN", 20)
    monkeypatch.setattr(service, "PEOPLE_SHOWN", 3)
    viewer = Viewer(TEAM, "UKIRI", zone("Pacific/Kiritimati"), ambassador=ambassador)
    today = local_date(NOW, viewer.zone)
    zones = success_index.owner_zones(session, team_id=TEAM)
    items = _open_items(session, None if ambassador else ["UKIRI"])
    found = service.commitments(session, viewer, now=NOW)
    assert found.open_count == len(items)
    assert found.at_risk == sum(item.status == ActionStatus.AT_RISK.value for item in items)
    assert found.overdue == sum(item.due_date < today for item in items)
    horizon = {
        item.id: item_horizon(item.created_at, item.due_date, zones.get(item.owner_id, zone(None))).value
        for item in items
    }
    assert found.by_horizon == tuple(sorted(Counter(horizon.values()).items()))
    owners = Counter(item.owner_id for item in items)
    most_open = sorted(owners.items(), key=lambda o: (-o[1], o[0]))
    assert [(owner, count) for owner, count, _, _ in found.by_owner] == most_open[:3]
    assert found.owner_count == len(owners) > 3 if ambassador else found.owner_count == len(owners)
    assert [(line.id, line.horizon, line.overdue) for line in found.open] == [
        (item.id, horizon[item.id], item.due_date < today) for item in items[:20]
    ]
    # the Success Index by the Python definition: each person's (kept, due) per quarter, the most due first
    quarters = service.last_quarters(today, viewer.zone)
    index: dict[str, list[tuple[int, int]]] = {}
    for at, quarter in enumerate(quarters):
        per_owner: dict[str, list[int]] = {}
        for commitment in success_index.commitments(
            session,
            team_id=TEAM,
            year=quarter.year,
            quarter=quarter.quarter,
            user_ids=None if ambassador else ["UKIRI"],
            until=today if at == len(quarters) - 1 else None,
            zones=zones,
        ):
            counts = per_owner.setdefault(commitment.owner_id, [0, 0])
            counts[0] += commitment.kept
            counts[1] += 1
        for owner in set(per_owner) | set(index):
            kept, due = per_owner.get(owner, [0, 0])
            index.setdefault(owner, [(0, 0)] * at).append((kept, due))
    index.pop(FORGOTTEN, None)
    ranked = sorted(index.items(), key=lambda person: (-sum(due for _, due in person[1]), person[0]))
    assert [(person.user_id, list(person.by_quarter)) for person in found.index] == ranked[:3]
    assert found.people_count == len(index) > 0
    assert list(found.own) == index.get("UKIRI", [(0, 0)] * 4)
