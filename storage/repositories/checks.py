"""When the engine next needs to look at an item, a sorry or a meeting: the planners write these times
(the moment their nudge may next be due), and whatever changes what those moments depend on sets them back
to None ("look at once"): a change of the item, of the person's time zone, pause or activity, of the
workspace's working days, hours, holidays or digest day and time."""

from __future__ import annotations

from sqlalchemy import ColumnElement, TextClause, and_, or_, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import (
    AMBASSADOR_ACTIVE,
    OPEN_STATUSES,
    SORRY_WITHOUT_CAUSE,
    ActionItem,
    Ambassador,
    Entry,
    TimeChange,
)


def due(
    column: InstrumentedAttribute[object], now: object, *where: ColumnElement[bool] | TextClause
) -> ColumnElement[bool]:
    """The rows (of those matching `where`) whose check time has come: never looked at (None), or due by `now`.
    Written as two branches, each with all of `where`, so that an index on (`where`'s column, `column`) serves
    each as a range (a single `IS NULL OR <=` would leave PostgreSQL to filter every row `where` matches)."""
    return or_(and_(*where, column.is_(None)), and_(*where, column <= now))


def look_again_at_person(session: Session, *, team_id: str, user_id: str) -> None:
    """The person's time changed (zone, pause, deactivation): their open items and sorries are looked at again,
    and the engines told (their quarterly reviews' moments, kept in memory: bot/engine/reviews.py)."""
    session.add(TimeChange(team_id=team_id, user_id=user_id))
    _items(session, ActionItem.team_id == team_id, ActionItem.owner_id == user_id)
    _sorries(session, Entry.team_id == team_id, Entry.author_id == user_id)
    _ambassadors(session, Ambassador.team_id == team_id, Ambassador.user_id == user_id)


def look_again_at_team(session: Session, *, team_id: str) -> None:
    """The workspace's calendar changed (working days or hours, a holiday): everything of it is looked at again."""
    session.add(TimeChange(team_id=team_id, user_id=None))
    _items(session, ActionItem.team_id == team_id)
    _sorries(session, Entry.team_id == team_id)
    look_again_at_digests(session, team_id=team_id)


def look_again_at_digests(session: Session, *, team_id: str) -> None:
    """The workspace's digest day or time changed: its ambassadors' digests are looked at again."""
    _ambassadors(session, Ambassador.team_id == team_id)


def _ambassadors(session: Session, *where: ColumnElement[bool]) -> None:
    session.execute(
        update(Ambassador)
        .where(*where, AMBASSADOR_ACTIVE)
        .values(digest_check_at=None)
        .execution_options(synchronize_session=False)
    )


def _items(session: Session, *where: ColumnElement[bool]) -> None:
    session.execute(
        update(ActionItem)
        .where(*where, ActionItem.status.in_(OPEN_STATUSES))
        .values(nudge_check_at=None, checkin_check_at=None)
        .execution_options(synchronize_session=False)
    )


def _sorries(session: Session, *where: ColumnElement[bool]) -> None:
    session.execute(
        update(Entry)
        .where(*where, SORRY_WITHOUT_CAUSE)
        .values(cause_check_at=None)
        .execution_options(synchronize_session=False)
    )
