"""The Success Index: per person and quarter, commitments kept divided by commitments due.

A commitment is due in a quarter when its due date *as it stood when the quarter began* falls in
the quarter (for items created during the quarter: the date first promised). It is kept when it
was done on or before that date. Moving the date during the quarter does not move the goalposts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.services.actions import Horizon, item_horizon
from bot.worktime import local_date, previous_quarter, quarter_bounds, quarter_of, zone
from storage.models import ActionEvent, ActionItem, ActionStatus
from storage.repositories import actions as actions_repo
from storage.repositories import people as people_repo

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True)
class IndexLine:
    """One line of a Success Index: a label (short term, long term, all) and its counts."""

    label: str
    kept: int
    due: int

    @property
    def percent(self) -> str:
        return "n/a" if self.due == 0 else f"{round(100 * self.kept / self.due)}%"


@dataclass(frozen=True)
class Commitment:
    """What the index needs to know of one item in one quarter."""

    item_id: int
    owner_id: str
    due: date  # as it stood when the quarter began
    horizon: Horizon
    kept: bool
    open: bool


class Promise(Protocol):
    """What the index reads of an action item (an `ActionItem`, or a row of those columns)."""

    @property
    def created_at(self) -> datetime: ...
    @property
    def original_due_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...


class Move(Protocol):
    """What the index reads of an item's event (an `ActionEvent`, or a row of those columns)."""

    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def new_value(self) -> str | None: ...


def due_at_quarter_start(item: Promise, events: Sequence[Move], first: date) -> date:
    """The due date in force at the start of `first` (UTC): the original one, moved by earlier reschedules."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    if item.created_at >= start:
        return item.original_due_date
    due = item.original_due_date
    for event in events:
        if event.kind == "rescheduled" and event.at < start and event.new_value:
            due = date.fromisoformat(event.new_value)
    return due


def commitments(
    session: Session,
    *,
    team_id: str,
    year: int,
    quarter: int,
    user_ids: Iterable[str] | None = None,
    until: date | None = None,
    tz: ZoneInfo = UTC_ZONE,
    zones: Mapping[str, ZoneInfo] | None = None,
) -> list[Commitment]:
    """The commitments due in the quarter, owned by `user_ids` (or anyone).

    With `until` (the quarter so far): items due before that day, and items due on it that are
    already closed; an item due on `until` and still open has not been missed yet. Whether an item
    was done on time is judged by the owner's local date (`zones` by owner, else `tz`).
    """
    first, last = quarter_bounds(year, quarter)
    last_counted = min(last, until) if until else last
    start = datetime.combine(first, time.min, tzinfo=UTC)
    # the columns the index reads, not the items with their people and groups: a quarter of a large
    # workspace has thousands of commitments
    query = actions_repo.quarter_commitments(
        session,
        team_id=team_id,
        first=first,
        last=last,
        last_counted=last_counted,
        user_ids=user_ids,
        columns=(
            ActionItem.id,
            ActionItem.owner_id,
            ActionItem.created_at,
            ActionItem.original_due_date,
            ActionItem.due_date,
            ActionItem.status,
            ActionItem.closed_at,
        ),
    )
    candidates = query.subquery()
    items = session.execute(query).all()
    if not items:
        return []
    # only moves made before the quarter began count, and only for items promised before it; their ids
    # are the candidates' again, in the database (a list of thousands of ids as parameters costs more)
    earlier = select(candidates.c.id).where(candidates.c.created_at < start)
    if user_ids is not None:
        earlier = earlier.where(candidates.c.owner_id.in_(list(user_ids)))
    events_by_item: dict[int, list[Move]] = {}
    if any(item.created_at < start for item in items):
        for event in session.execute(
            select(ActionEvent.action_id, ActionEvent.kind, ActionEvent.at, ActionEvent.new_value)
            .where(ActionEvent.action_id.in_(earlier), ActionEvent.kind == "rescheduled", ActionEvent.at < start)
            .order_by(ActionEvent.at, ActionEvent.id)
        ):
            events_by_item.setdefault(event.action_id, []).append(event)
    found: list[Commitment] = []
    for item in items:
        status = ActionStatus(item.status)
        if status is ActionStatus.DROPPED and item.closed_at is not None and item.closed_at < start:
            continue  # dropped before the quarter began: no longer a commitment of this quarter
        due = due_at_quarter_start(item, events_by_item.get(item.id, []), first)
        if not first <= due <= last_counted:
            continue
        if until is not None and due == until and not status.closed:
            continue  # due today and still open: not missed yet
        owner_tz = zones.get(item.owner_id, tz) if zones is not None else tz
        done_on = item.closed_at.astimezone(owner_tz).date() if item.closed_at is not None else None
        kept = status is ActionStatus.DONE and done_on is not None and done_on <= due
        found.append(
            Commitment(
                item_id=item.id,
                owner_id=item.owner_id,
                due=due,
                horizon=item_horizon(item.created_at, item.due_date, owner_tz),
                kept=kept,
                open=not status.closed,
            )
        )
    return found


def kept_and_due(
    session: Session,
    *,
    team_id: str,
    year: int,
    quarter: int,
    user_ids: Iterable[str] | None = None,
    until: date | None = None,
    tz: ZoneInfo = UTC_ZONE,
    zones: Mapping[str, ZoneInfo] | None = None,
) -> dict[str, tuple[int, int]]:
    """Per owner, (kept, due) of the commitments `commitments` finds with the same arguments, counted by the
    database: one statement, and only the items done within hours of the end of their due day are judged here,
    by the owner's local date (tests/test_success_index_sql.py compares the two on both databases)."""
    first, last = quarter_bounds(year, quarter)
    last_counted = min(last, until) if until else last
    counts = actions_repo.index_counts(
        session, team_id=team_id, first=first, last=last, last_counted=last_counted, user_ids=user_ids, until=until
    )
    found = {}
    for owner_id, count in counts.items():
        owner_tz = zones.get(owner_id, tz) if zones is not None else tz
        kept = count.kept + sum(closed_at.astimezone(owner_tz).date() <= due for due, closed_at in count.near)
        found[owner_id] = (kept, count.due)
    return found


def lines_for(found: Sequence[Commitment]) -> list[IndexLine]:
    """Short term, long term and all, as kept / due."""
    lines = []
    for label, wanted in (("Short term", Horizon.SHORT), ("Long term", Horizon.LONG)):
        chosen = [c for c in found if c.horizon is wanted]
        lines.append(IndexLine(label, sum(c.kept for c in chosen), len(chosen)))
    lines.append(IndexLine("All", sum(c.kept for c in found), len(found)))
    return lines


def owner_zones(session: Session, *, team_id: str, user_ids: Iterable[str] | None = None) -> dict[str, ZoneInfo]:
    """The known time zones of owners (people whose zone the bot has not read yet count in UTC)."""
    names = people_repo.time_zones(session, team_id=team_id, user_ids=user_ids)
    return {user: zone(name) for user, name in names.items()}


def index_lines(
    session: Session, *, team_id: str, user_id: str, year: int, quarter: int, until: date | None = None
) -> list[IndexLine]:
    """One person's Success Index for a quarter (so far, with `until`)."""
    return team_index(session, team_id=team_id, user_ids=[user_id], year=year, quarter=quarter, until=until)


def team_index(
    session: Session, *, team_id: str, user_ids: Iterable[str], year: int, quarter: int, until: date | None = None
) -> list[IndexLine]:
    """The Success Index of a team (for example a channel's members): their commitments together."""
    users = list(dict.fromkeys(user_ids))
    if not users:
        return lines_for([])
    zones = owner_zones(session, team_id=team_id, user_ids=users)
    return lines_for(
        commitments(session, team_id=team_id, year=year, quarter=quarter, user_ids=users, until=until, zones=zones)
    )


def workspace_index(
    session: Session, *, team_id: str, year: int, quarter: int, until: date | None = None
) -> list[IndexLine]:
    """The Success Index of the whole workspace: every owner's commitments together."""
    zones = owner_zones(session, team_id=team_id)
    return lines_for(commitments(session, team_id=team_id, year=year, quarter=quarter, until=until, zones=zones))


@dataclass(frozen=True)
class QuarterIndex:
    """One quarter of a person's Success Index; `until` is set for the quarter still running."""

    year: int
    quarter: int
    lines: list[IndexLine]
    until: date | None = None

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"


def person_quarters(deps: Deps, *, team_id: str, user_id: str, past: int = 3) -> list[QuarterIndex]:
    """The person's current quarter so far (by their local date), then the `past` quarters before it."""
    with deps.session_factory() as session:
        person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        today = local_date(deps.clock(), zone(person.tz if person else None))
        year, quarter = quarter_of(today)
        found = [
            QuarterIndex(
                year,
                quarter,
                index_lines(session, team_id=team_id, user_id=user_id, year=year, quarter=quarter, until=today),
                until=today,
            )
        ]
        for _ in range(past):
            year, quarter = previous_quarter(year, quarter)
            lines = index_lines(session, team_id=team_id, user_id=user_id, year=year, quarter=quarter)
            found.append(QuarterIndex(year, quarter, lines))
        return found


def open_items_due_in(session: Session, *, team_id: str, user_id: str, year: int, quarter: int) -> list[ActionItem]:
    """The person's items due in the quarter that are still open (for the review's buttons)."""
    ids = [
        c.item_id
        for c in commitments(session, team_id=team_id, year=year, quarter=quarter, user_ids=[user_id])
        if c.open
    ]
    if not ids:
        return []
    return list(session.scalars(select(ActionItem).where(ActionItem.id.in_(ids)).order_by(ActionItem.due_date)))


def ratio(line: IndexLine) -> float | None:
    return None if line.due == 0 else line.kept / line.due
