"""Action items and their history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import CompoundSelect, Select, func, or_, select, union, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import (
    OPEN_STATUSES,
    ActionEvent,
    ActionItem,
    ActionPerson,
    ActionStatus,
    CustomerGroup,
)


def find_by_idempotency_key(session: Session, *, team_id: str, key: str) -> ActionItem | None:
    return session.scalars(
        select(ActionItem).where(ActionItem.team_id == team_id, ActionItem.idempotency_key == key)
    ).first()


def add_action(
    session: Session,
    *,
    team_id: str,
    title: str,
    owner_id: str,
    created_by: str,
    created_at: datetime,
    due_date: date,
    idempotency_key: str,
    desired_outcome: str | None = None,
    involved: Sequence[str] = (),
    groups: Sequence[CustomerGroup] = (),
    area: str | None = None,
    stage: str | None = None,
    source: str = "manual",
    source_entry_id: int | None = None,
    source_answer_id: int | None = None,
) -> ActionItem:
    item = ActionItem(
        team_id=team_id,
        title=title,
        desired_outcome=desired_outcome,
        owner_id=owner_id,
        created_by=created_by,
        created_at=created_at,
        due_date=due_date,
        original_due_date=due_date,
        status="open",
        area=area,
        stage=stage,
        source=source,
        source_entry_id=source_entry_id,
        source_answer_id=source_answer_id,
        idempotency_key=idempotency_key,
    )
    item.people = [ActionPerson(user_id=user) for user in dict.fromkeys(involved) if user != owner_id]
    item.groups = list(groups)
    session.add(item)
    session.flush()
    add_event(session, item=item, at=created_at, by=created_by, kind="created", new_value=due_date.isoformat())
    return item


def get_action(session: Session, *, team_id: str, action_id: int) -> ActionItem | None:
    """The action item with this id, only if it belongs to `team_id`."""
    return session.scalars(select(ActionItem).where(ActionItem.team_id == team_id, ActionItem.id == action_id)).first()


def lock_action(session: Session, *, team_id: str, action_id: int) -> ActionItem | None:
    """The action item, locked until this transaction ends: a second change of the same item waits for
    this one, then reads what it left (so two clicks at once have one effect, not two).

    PostgreSQL locks the row (`SELECT ... FOR UPDATE`). SQLite has one writer at a time and no row locks:
    an update that changes nothing takes the write lock before the read.
    """
    where = (ActionItem.team_id == team_id, ActionItem.id == action_id)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(ActionItem).where(*where).values(status=ActionItem.status),
            execution_options={"synchronize_session": False},
        )
        return session.scalars(select(ActionItem).where(*where).execution_options(populate_existing=True)).first()
    return session.scalars(
        select(ActionItem).where(*where).with_for_update(of=ActionItem).execution_options(populate_existing=True)
    ).first()


def last_status_change(session: Session, *, action_id: int) -> ActionEvent | None:
    """The item's latest status event, if any."""
    return session.scalars(
        select(ActionEvent)
        .where(ActionEvent.action_id == action_id, ActionEvent.kind == "status")
        .order_by(ActionEvent.id.desc())
        .limit(1)
    ).first()


def get_actions(session: Session, *, team_id: str, action_ids: Iterable[int]) -> Sequence[ActionItem]:
    """The action items with these ids that belong to `team_id` (any order; missing ones left out)."""
    return session.scalars(
        select(ActionItem).where(ActionItem.team_id == team_id, ActionItem.id.in_(set(action_ids)))
    ).all()


def from_entry(session: Session, *, team_id: str, entry_id: int) -> Sequence[ActionItem]:
    """The action items created from this entry (a sorry), oldest first."""
    return session.scalars(
        select(ActionItem)
        .where(ActionItem.team_id == team_id, ActionItem.source_entry_id == entry_id)
        .order_by(ActionItem.created_at, ActionItem.id)
    ).all()


def add_event(
    session: Session,
    *,
    item: ActionItem,
    at: datetime,
    by: str,
    kind: str,
    old_value: str | None = None,
    new_value: str | None = None,
    note: str | None = None,
) -> ActionEvent:
    # whatever happened to the item, the engine looks at its nudges and its owner's check-in again
    item.nudge_check_at = None
    item.checkin_check_at = None
    event = ActionEvent(
        action_id=item.id,
        team_id=item.team_id,
        at=at,
        by=by,
        kind=kind,
        old_value=old_value,
        new_value=new_value,
        note=note,
    )
    session.add(event)
    session.flush()
    return event


def events_of_kind(session: Session, *, action_ids: Sequence[int], kind: str) -> Sequence[ActionEvent]:
    """The events of this kind of these items, oldest first."""
    if not action_ids:
        return []
    return session.scalars(
        select(ActionEvent)
        .where(ActionEvent.action_id.in_(list(action_ids)), ActionEvent.kind == kind)
        .order_by(ActionEvent.id)
    ).all()


def items_of_person(
    session: Session, *, team_id: str, user_id: str, open_only: bool = True, limit: int = 200
) -> Sequence[ActionItem]:
    """Items the person owns or is involved in, soonest due first."""
    involved = select(ActionPerson.action_id).where(ActionPerson.user_id == user_id)
    query = select(ActionItem).where(
        ActionItem.team_id == team_id,
        or_(ActionItem.owner_id == user_id, ActionItem.id.in_(involved)),
    )
    if open_only:
        query = query.where(ActionItem.status.in_(OPEN_STATUSES))
    return session.scalars(query.order_by(ActionItem.due_date, ActionItem.id).limit(limit)).all()


def count_items_of_person(session: Session, *, team_id: str, user_id: str) -> int:
    """How many open items the person owns or is involved in."""
    involved = select(ActionPerson.action_id).where(ActionPerson.user_id == user_id)
    return int(
        session.scalar(
            select(func.count()).where(
                ActionItem.team_id == team_id,
                or_(ActionItem.owner_id == user_id, ActionItem.id.in_(involved)),
                ActionItem.status.in_(OPEN_STATUSES),
            )
        )
        or 0
    )


def open_items_owned(session: Session, *, team_id: str, owner_id: str) -> Sequence[ActionItem]:
    return session.scalars(
        select(ActionItem)
        .where(
            ActionItem.team_id == team_id,
            ActionItem.owner_id == owner_id,
            ActionItem.status.in_(OPEN_STATUSES),
        )
        .order_by(ActionItem.due_date, ActionItem.id)
    ).all()


def open_items_due_by(*, last_due: date) -> Select[Any]:
    """The ids of open items of every workspace due on or before `last_due` (reminders and overdue nudges),
    as a subquery."""
    return select(ActionItem.id).where(ActionItem.status.in_(OPEN_STATUSES), ActionItem.due_date <= last_due)


def due_in_range(
    *, team_id: str, first: date, last: date, columns: Sequence[InstrumentedAttribute[Any]] = (ActionItem.id,)
) -> CompoundSelect[Any]:
    """`columns` of the items whose due date, first promise or any move fell in [first, last]: the only ones
    a quarter's Success Index can count, so the rest of the history is never read.

    Three parts, each served by an index (a single OR of the three reads every item), each reading the
    columns itself (joining their ids back to the items instead made PostgreSQL read every item of the
    history by hash). The first names every status so that it reads `ix_action_items_team_status_due` one
    status at a time: an index on (team_id, due_date) alone would serve it too, but PostgreSQL then prefers
    that one for the open items due soonest (`ORDER BY due_date LIMIT n`) and reads every closed item of the
    past to find them."""
    return union(
        select(*columns).where(
            ActionItem.team_id == team_id,
            ActionItem.status.in_([status.value for status in ActionStatus]),
            ActionItem.due_date.between(first, last),
        ),
        select(*columns).where(ActionItem.team_id == team_id, ActionItem.original_due_date.between(first, last)),
        select(*columns)
        .join(ActionEvent, ActionEvent.action_id == ActionItem.id)
        .where(
            ActionEvent.team_id == team_id,
            ActionEvent.kind == "rescheduled",
            ActionEvent.new_value >= first.isoformat(),
            ActionEvent.new_value <= last.isoformat(),
        ),
    )
