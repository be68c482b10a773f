"""Action items and their history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Date,
    Integer,
    Interval,
    Select,
    and_,
    any_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union,
    update,
)
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

    Three parts, each served by an index (a single OR of the three reads every item, unless the moved items'
    ids come as an array: `_due_in_range_one_scan`, on PostgreSQL), each reading the columns itself (joining
    their ids back to the items instead made PostgreSQL read every item of the history by hash). The first
    names every status so that it reads `ix_action_items_team_status_due` one status at a time: an index on
    (team_id, due_date) alone would serve it too, but PostgreSQL then prefers that one for the open items due
    soonest (`ORDER BY due_date LIMIT n`) and reads every closed item of the past to find them."""
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


# The widest gap between UTC and a local clock (UTC-12 to UTC+14), and an hour more: a moment this far from a
# day's UTC midnight falls on the same side of that day's local midnight in every time zone.
_EARLIEST_MIDNIGHT = timedelta(hours=-15)
_LATEST_MIDNIGHT = timedelta(hours=13)


@dataclass(frozen=True, slots=True)
class IndexCount:
    """Commitments of one owner due in a quarter (see bot/services/success_index.py), counted by the database.

    `kept` are those done before the due day ended in every time zone; `near` are the items done so close to the
    end of their due day that only the owner's time zone can tell: their (due date, closed at), to judge."""

    due: int = 0
    kept: int = 0
    near: tuple[tuple[date, datetime], ...] = ()


def _day_plus(session: Session, day: ColumnElement[Any], offset: timedelta) -> ColumnElement[Any]:
    """The UTC moment `offset` after the UTC midnight that begins the day after `day`."""
    hours = int((offset + timedelta(days=1)).total_seconds() // 3600)
    if session.get_bind().dialect.name == "postgresql":
        return func.timezone("UTC", day + literal(timedelta(hours=hours), Interval()))
    # SQLite keeps moments as text "YYYY-MM-DD HH:MM:SS.ffffff" (UTC), which compares as text with datetime()'s
    return func.datetime(day, f"{hours:+d} hours")


def _due_in_range_one_scan(*, team_id: str, first: date, last: date) -> ColumnElement[bool]:
    """`due_in_range`'s three parts as one condition PostgreSQL answers with one bitmap heap scan of the three
    indexes OR-ed (the moved items' ids read first, as an array the primary key looks up): no union to remove the
    duplicates of, about half the time of the union's (7 against 14 ms for a quarter of benchmark 2)."""
    moved = (
        select(func.array_agg(ActionEvent.action_id))
        .where(
            ActionEvent.team_id == team_id,
            ActionEvent.kind == "rescheduled",
            ActionEvent.new_value >= first.isoformat(),
            ActionEvent.new_value <= last.isoformat(),
        )
        .scalar_subquery()
    )
    return or_(
        and_(
            ActionItem.team_id == team_id,
            ActionItem.status.in_([status.value for status in ActionStatus]),
            ActionItem.due_date.between(first, last),
        ),
        and_(ActionItem.team_id == team_id, ActionItem.original_due_date.between(first, last)),
        ActionItem.id == any_(cast(moved, ARRAY(Integer))),
    )


def quarter_commitments(
    session: Session,
    *,
    team_id: str,
    first: date,
    last: date,
    last_counted: date,
    user_ids: Iterable[str] | None,
    columns: Sequence[InstrumentedAttribute[Any]],
) -> Select[Any]:
    """`columns` of the commitments of the quarter [first, last] the Success Index counts: due from `first` to
    `last_counted` (the quarter's last day, or the last day counted so far), made by the quarter's end, owned by
    `user_ids` (or anyone); through the due-date index, not the items with their people and groups. `columns`
    include `ActionItem.created_at`."""
    end = datetime.combine(last, time.max, tzinfo=UTC)
    owners = None if user_ids is None else list(user_ids)
    # the whole workspace's in one scan on PostgreSQL; some people's through the union, whose parts PostgreSQL reads
    # with their owner too (ix_action_items_due_owner: 3-8 ms a quarter for one person against 5-18 ms)
    if owners is None and session.get_bind().dialect.name == "postgresql":
        return select(*columns).where(
            ActionItem.team_id == team_id,
            _due_in_range_one_scan(team_id=team_id, first=first, last=last_counted),
            ActionItem.created_at <= end,
        )
    found = due_in_range(team_id=team_id, first=first, last=last_counted, columns=columns).subquery()
    chosen = select(found).where(found.c.created_at <= end)
    return chosen if owners is None else chosen.where(found.c.owner_id.in_(owners))


def index_counts(
    session: Session,
    *,
    team_id: str,
    first: date,
    last: date,
    last_counted: date,
    user_ids: Iterable[str] | None = None,
    until: date | None = None,
) -> dict[str, IndexCount]:
    """The Success Index's commitments of the quarter [first, last], counted per owner in one statement: the
    rule of `bot.services.success_index.commitments`, in SQL, without reading the items into the process.

    `last_counted` is the last due date counted (the quarter's last day, or `until` for the quarter so far)."""
    start = datetime.combine(first, time.min, tzinfo=UTC)
    postgresql = session.get_bind().dialect.name == "postgresql"
    # one's own (and one's reports') only, before anything else: PostgreSQL reads a person's items alone
    candidates = quarter_commitments(
        session,
        team_id=team_id,
        last=last,
        first=first,
        last_counted=last_counted,
        user_ids=user_ids,
        columns=(
            ActionItem.id,
            ActionItem.owner_id,
            ActionItem.created_at,
            ActionItem.original_due_date,
            ActionItem.status,
            ActionItem.closed_at,
        ),
    ).cte("candidates")
    # the due date as it stood when the quarter began: the last move made before it (for items promised before it),
    # one row per item, joined (a lookup per item instead made PostgreSQL's estimate large enough to compile it)
    ranked = (
        select(
            ActionEvent.action_id,
            ActionEvent.new_value,
            func.row_number()
            .over(partition_by=ActionEvent.action_id, order_by=(ActionEvent.at.desc(), ActionEvent.id.desc()))
            .label("latest"),
        )
        .where(
            ActionEvent.action_id.in_(select(candidates.c.id).where(candidates.c.created_at < start)),
            ActionEvent.kind == "rescheduled",
            ActionEvent.at < start,
            ActionEvent.new_value.is_not(None),
            ActionEvent.new_value != "",
        )
        .subquery()
    )
    moves = select(ranked.c.action_id, ranked.c.new_value).where(ranked.c.latest == 1).subquery()
    # dates are ISO text on SQLite (as the moves' new values are), a date on PostgreSQL
    moved_day = cast(moves.c.new_value, Date) if postgresql else type_coerce(moves.c.new_value, Date)
    due = case(
        (candidates.c.created_at >= start, candidates.c.original_due_date),
        else_=func.coalesce(moved_day, candidates.c.original_due_date),
    )
    items = (
        select(
            candidates.c.owner_id.label("owner_id"),
            due.label("due"),
            candidates.c.status.label("status"),
            candidates.c.closed_at.label("closed_at"),
        )
        .select_from(candidates.outerjoin(moves, moves.c.action_id == candidates.c.id))
        .where(
            # dropped before the quarter began: no longer a commitment of this quarter
            ~and_(
                candidates.c.status == ActionStatus.DROPPED.value,
                candidates.c.closed_at.is_not(None),
                candidates.c.closed_at < start,
            ),
        )
    )
    counted = items.subquery()
    where = [counted.c.due >= first, counted.c.due <= last_counted]
    if until is not None:
        # due today and still open: not missed yet
        where.append(~and_(counted.c.due == until, counted.c.status.in_(OPEN_STATUSES)))
    done = counted.c.status == ActionStatus.DONE.value
    surely_kept = and_(done, counted.c.closed_at < _day_plus(session, counted.c.due, _EARLIEST_MIDNIGHT))
    near = and_(
        done,
        counted.c.closed_at >= _day_plus(session, counted.c.due, _EARLIEST_MIDNIGHT),
        counted.c.closed_at < _day_plus(session, counted.c.due, _LATEST_MIDNIGHT),
    )
    near_due = case((near, counted.c.due))
    near_closed = case((near, counted.c.closed_at))
    # Core, not the ORM's result machinery: thousands of plain rows
    # iterated, not listed: a row at a time is made and dropped (thousands held at once kept the garbage collector
    # busy)
    rows = session.connection().execute(
        select(counted.c.owner_id, near_due, near_closed, func.count(), func.count(case((surely_kept, 1))))
        .where(*where)
        .group_by(counted.c.owner_id, near_due, near_closed)
    )
    due_by: dict[str, int] = {}
    kept_by: dict[str, int] = {}
    near_by: dict[str, list[tuple[date, datetime]]] = {}
    for owner_id, near_day, closed_at, count, sure in rows:
        due_by[owner_id] = due_by.get(owner_id, 0) + count
        kept_by[owner_id] = kept_by.get(owner_id, 0) + sure
        if near_day is not None:
            near_by.setdefault(owner_id, []).extend([(near_day, closed_at)] * count)
    return {owner: IndexCount(due_by[owner], kept_by[owner], tuple(near_by.get(owner, ()))) for owner in due_by}
