"""The engine at sizes a long-lived deployment reaches: no statement's parameters grow with the data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import Engine, event, func, insert, select

from bot.deps import Deps
from bot.engine.engine import NudgeEngine
from bot.engine.planners import OVERDUE
from storage.models import ActionItem, Ambassador, Delivery, Entry, Meeting, Person
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


# -- a tick costs what is due, not the size of the history -------------------------------------------

QUIET = utc(2027, 3, 3, 12)  # a Wednesday noon: no check-in, no digest, no quarterly review is due


def history(engine: Engine, *, size: int, offset: int) -> None:
    """`size` each of: open overdue items, sorries without a root cause (a week old), weekly meetings
    (Mondays 10:00 in Berlin, prompting their owner), entries already posted, ambassadors; all people known."""
    week_ago = QUIET - timedelta(days=7)
    people = [f"U{offset + n:06}" for n in range(size)]
    with engine.begin() as connection:
        connection.execute(
            insert(Person),
            [{"team_id": TEAM, "user_id": user, "tz": "Europe/Berlin", "tz_checked_at": QUIET} for user in people],
        )
        connection.execute(
            insert(ActionItem),
            [
                {
                    "team_id": TEAM,
                    "title": f"Call back customer {user}",
                    "owner_id": user,
                    "created_by": user,
                    "created_at": QUIET - timedelta(days=60),
                    "due_date": date(2027, 2, 1),
                    "original_due_date": date(2027, 2, 1),
                    "status": "open",
                    "source": "manual",
                    "idempotency_key": f"item:{user}",
                }
                for user in people
            ],
        )
        connection.execute(
            insert(Entry),
            [
                {
                    "team_id": TEAM,
                    "kind": kind,
                    "author_id": user,
                    "channel_id": "C1",
                    "text": f"{kind} of {user}",
                    "created_at": week_ago,
                    "idempotency_key": f"{kind}:{user}",
                    "message_ts": "1.000001",
                }
                for user in people
                for kind in ("sorry", "proud")
            ],
        )
        connection.execute(
            insert(Ambassador), [{"team_id": TEAM, "user_id": user, "joined_at": week_ago} for user in people]
        )
        connection.execute(
            insert(Meeting),
            [
                {
                    "team_id": TEAM,
                    "title": f"Weekly of {user}",
                    "owner_id": user,
                    "repeat": "weekly",
                    "start_date": date(2027, 1, 4),
                    "weekdays": "1",
                    "at_time": time(10, 0),
                    "tz": "Europe/Berlin",
                    "lead_minutes": 10,
                    "prompt_to": "owner",
                    "paused": False,
                    "created_by": user,
                    "created_at": week_ago,
                    "idempotency_key": f"meeting:{user}",
                }
                for user in people
            ],
        )


@contextmanager
def reads(engine: Engine) -> Iterator[list[int]]:
    """[statements, rows returned] of what runs meanwhile (rows: PostgreSQL only, SQLite does not count them)."""
    seen = [0, 0]

    def count(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen[0] += 1
        if statement.lstrip().upper().startswith("SELECT") and engine.dialect.name == "postgresql":
            seen[1] += max(cursor.rowcount, 0)

    event.listen(engine, "after_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "after_cursor_execute", count)


def quiet_tick(deps: Deps, engine: Engine, nudges: NudgeEngine) -> list[int]:
    """A tick right after one that planned everything due: what it reads when nothing new is due."""
    nudges.tick(QUIET)
    with reads(engine) as seen:
        report = nudges.tick(QUIET + timedelta(minutes=1))
    assert report.planned == 0
    return seen


def test_a_tick_with_nothing_due_reads_the_same_whatever_the_history(deps: Deps, engine: Engine) -> None:
    nudges = NudgeEngine(
        session_factory=deps.session_factory,
        client_for=lambda _team: None,
        clock=SimClock(QUIET),
        worker_id="quiet",
        retention=None,
    )
    history(engine, size=40, offset=0)
    nudges.tick(QUIET)
    with deps.session_factory() as session:
        # the first tick planned what was due: an overdue nudge per item, a root-cause nudge per sorry, last week's
        # digest per ambassador (Monday's, still news on Wednesday)
        kinds = Counter(session.scalars(select(Delivery.kind)))
    assert kinds == {"action_overdue": 40, "root_cause_nudge": 40, "weekly_digest": 40}
    small = quiet_tick(deps, engine, nudges)

    history(engine, size=400, offset=1000)
    large = quiet_tick(deps, engine, nudges)

    # the same statements, whatever the history; and on PostgreSQL next to no rows (the open items, sorries and
    # meetings are found, through their indexes, not to be due, and none is read)
    assert large[0] == small[0], (small, large)
    assert large[1] == small[1] <= 5, (small, large)
