"""The engine at sizes a long-lived deployment reaches: no statement's parameters grow with the data."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine, func, insert, select

from bot.deps import Deps
from bot.engine.engine import NudgeEngine
from bot.engine.planners import OVERDUE
from storage.models import ActionItem, Delivery, Person
from tests.engine_harness import SimClock, utc

TEAM = "T111"
NOW = utc(2027, 3, 2, 10)  # Tuesday 11:00 in Berlin


def overdue_items(engine: Engine, *, count: int, owners: int) -> None:
    """`count` open items, all overdue, of `owners` people in Berlin, inserted in bulk."""
    created = NOW - timedelta(days=60)
    with engine.begin() as connection:
        connection.execute(
            insert(Person),
            [
                {
                    "team_id": TEAM,
                    "user_id": f"U{n:05}",
                    "tz": "Europe/Berlin",
                    "tz_checked_at": NOW,
                    "deactivated": False,
                }
                for n in range(owners)
            ],
        )
        connection.execute(
            insert(ActionItem),
            [
                {
                    "team_id": TEAM,
                    "title": f"Call back customer {n}",
                    "owner_id": f"U{n % owners:05}",
                    "created_by": f"U{n % owners:05}",
                    "created_at": created,
                    # due last Monday: the first overdue nudge (Tuesday morning) has come
                    "due_date": date(2027, 3, 1),
                    "original_due_date": date(2027, 3, 1),
                    "status": "open",
                    "source": "manual",
                    "idempotency_key": f"bulk:{n}",
                }
                for n in range(count)
            ],
        )


def test_seventy_thousand_overdue_items_are_all_planned(deps: Deps, engine: Engine) -> None:
    """More open items near their due date than psycopg takes bound parameters in one statement (65,535)."""
    overdue_items(engine, count=70_000, owners=70)
    nudges = NudgeEngine(
        session_factory=deps.session_factory, client_for=lambda _team: None, clock=SimClock(NOW), worker_id="scale"
    )

    assert nudges.plan(NOW) == 70_000 + 70  # and each owner's weekly check-in (Tuesday: still this week's)

    with deps.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == OVERDUE)) == 70_000
