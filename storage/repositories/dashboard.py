"""What the web dashboard reads: entries over a period (optionally one author's), filtered entries, the
commitments and meeting answers by customer group. `author_id=None` reads the whole workspace; the caller
decides who may (bot/dashboard/access.py)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Date,
    DateTime,
    Select,
    SQLColumnExpression,
    String,
    Subquery,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql import ClauseElement

from storage.models import (
    OPEN_STATUSES,
    ActionCustomerGroup,
    ActionItem,
    ActionStatus,
    Entry,
    EntryCustomerGroup,
    MeetingAnswer,
)

TAG_LOOKUP_CHUNK = 500
CSV_SLICE = 2000


@dataclass(frozen=True)
class EntryRow:
    id: int
    kind: str
    author_id: str
    channel_id: str
    text: str
    area: str | None
    created_at: datetime
    root_cause: str | None
    message_ts: str | None
    source_permalink: str | None
    stage: str | None


@dataclass(frozen=True)
class EntryFilter:
    team_id: str
    author_id: str | None = None  # None: everyone's
    kind: str | None = None
    group_id: int | None = None
    area: str | None = None
    channel_id: str | None = None
    stage: str | None = None  # a stage of the customer journey, by name
    start: datetime | None = None
    end: datetime | None = None


def _scope(team_id: str, author_id: str | None) -> list[ColumnElement[bool]]:
    where = [Entry.team_id == team_id]
    if author_id is not None:
        where.append(Entry.author_id == author_id)
    return where


@dataclass(frozen=True)
class Ranges:
    """Consecutive local weeks or calendar quarters in a time zone: `bounds` are their starts (the local
    midnights, in UTC) and the end of the last."""

    bounds: tuple[datetime, ...]
    unit: str  # "week" (Monday to Sunday) or "quarter"
    tz: str

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def holds(self, column: SQLColumnExpression[datetime]) -> ColumnElement[bool]:
        return _in(column, self.bounds)

    def bucket(
        self, session: Session, column: SQLColumnExpression[datetime]
    ) -> tuple[ColumnElement[Any], Callable[[Any], int]]:
        """An expression naming each row's range, and how to read it as the range's index (-1: none).

        PostgreSQL looks the moment up among the bounds (`width_bucket`, a binary search: 1 for the first range, 0
        before it; cheaper than converting each moment to the local time to truncate it, and as exact: the bounds
        are the local midnights). SQLite compares with the bounds (a CASE)."""
        if session.get_bind().dialect.name == "postgresql":
            bounds = literal(list(self.bounds), ARRAY(DateTime(timezone=True)))
            return func.width_bucket(column, bounds), lambda value: int(value) - 1
        return bucket(column, self.bounds), lambda value: int(value)


def bucket(column: SQLColumnExpression[datetime], bounds: Sequence[datetime]) -> ColumnElement[int]:
    """Which of the ranges [bounds[i], bounds[i + 1]) the moment falls in, as a CASE (the same on both databases,
    and exact in any time zone: the bounds are the viewer's local midnights)."""
    return case(*((column < bounds[index + 1], literal(index)) for index in range(len(bounds) - 1)), else_=literal(-1))


def _in(column: SQLColumnExpression[datetime], bounds: Sequence[datetime]) -> ColumnElement[bool]:
    return and_(column >= bounds[0], column < bounds[-1])


def participants_by_range(session: Session, *, team_id: str, author_id: str | None, ranges: Ranges) -> list[int]:
    """How many people logged an entry in each range (weeks): one statement."""
    where, index_of = ranges.bucket(session, Entry.created_at)
    # each person once per range, then counted (a hash of the pairs: cheaper than sorting for COUNT(DISTINCT))
    pairs = (
        select(where.label("at"))
        .where(*_scope(team_id, author_id), ranges.holds(Entry.created_at))
        .group_by(where, Entry.author_id)
        .subquery()
    )
    rows = session.execute(select(pairs.c.at, func.count()).group_by(pairs.c.at)).all()
    found = [0] * len(ranges)
    for value, count in rows:
        index = index_of(value)
        if 0 <= index < len(found):
            found[index] = int(count)
    return found


@dataclass(frozen=True)
class RangeKinds:
    prouds: int = 0
    sorries: int = 0
    sorries_with_cause: int = 0


def kinds_by_range(session: Session, *, team_id: str, author_id: str | None, ranges: Ranges) -> list[RangeKinds]:
    """Prouds, sorries and sorries with a root cause in each range (quarters)."""
    where, index_of = ranges.bucket(session, Entry.created_at)
    rows = session.execute(
        select(where, Entry.kind, func.count(), func.count(Entry.root_cause_at))
        .where(*_scope(team_id, author_id), ranges.holds(Entry.created_at))
        .group_by(where, Entry.kind)
    ).all()
    found = [RangeKinds() for _ in range(len(ranges))]
    for value, kind, count, with_cause in rows:
        index = index_of(value)
        if not 0 <= index < len(found):
            continue
        was = found[index]
        if kind == "proud":
            found[index] = RangeKinds(int(count), was.sorries, was.sorries_with_cause)
        elif kind == "sorry":
            found[index] = RangeKinds(was.prouds, int(count), int(with_cause))
    return found


def median_days_to_cause(
    session: Session, *, team_id: str, author_id: str | None, ranges: Ranges
) -> list[float | None]:
    """Per range: the median of the days from a sorry to its root cause (sorries with one, by when logged).
    PostgreSQL computes it (percentile_cont); SQLite, which has no such function, hands the waits over."""
    where, index_of = ranges.bucket(session, Entry.created_at)
    chosen = (
        *_scope(team_id, author_id),
        ranges.holds(Entry.created_at),
        Entry.kind == "sorry",
        Entry.root_cause_at.is_not(None),
        Entry.root_cause_at >= Entry.created_at,
    )
    found: list[float | None] = [None] * len(ranges)
    if session.get_bind().dialect.name == "postgresql":
        seconds = extract("epoch", Entry.root_cause_at - Entry.created_at)
        median = func.percentile_cont(0.5).within_group(seconds)
        for value, days in session.execute(select(where, median).where(*chosen).group_by(where)):
            index = index_of(value)
            if 0 <= index < len(found) and days is not None:
                found[index] = float(days) / 86400
        return found
    waits: list[list[float]] = [[] for _ in found]
    for value, created, caused in session.execute(select(where, Entry.created_at, Entry.root_cause_at).where(*chosen)):
        index = index_of(value)
        if 0 <= index < len(waits) and caused is not None:
            waits[index].append((caused - created).total_seconds() / 86400)
    for index, values in enumerate(waits):
        if values:
            values.sort()
            middle = len(values) // 2
            found[index] = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
    return found


def kinds_and_waits(
    session: Session, *, team_id: str, author_id: str | None, ranges: Ranges
) -> tuple[list[RangeKinds], list[float | None]]:
    """`kinds_by_range` and `median_days_to_cause` together: on PostgreSQL one statement (the median of the sorries
    with a root cause as an aggregate FILTERed from the same rows), on SQLite the two."""
    if session.get_bind().dialect.name != "postgresql":
        return (
            kinds_by_range(session, team_id=team_id, author_id=author_id, ranges=ranges),
            median_days_to_cause(session, team_id=team_id, author_id=author_id, ranges=ranges),
        )
    where, index_of = ranges.bucket(session, Entry.created_at)
    waited = and_(Entry.root_cause_at.is_not(None), Entry.root_cause_at >= Entry.created_at)
    median = func.percentile_cont(0.5).within_group(extract("epoch", Entry.root_cause_at - Entry.created_at))
    rows = session.execute(
        select(where, Entry.kind, func.count(), func.count(Entry.root_cause_at), median.filter(waited))
        .where(*_scope(team_id, author_id), ranges.holds(Entry.created_at))
        .group_by(where, Entry.kind)
    ).all()
    kinds = [RangeKinds() for _ in range(len(ranges))]
    days: list[float | None] = [None] * len(ranges)
    for value, kind, count, with_cause, seconds in rows:
        index = index_of(value)
        if not 0 <= index < len(kinds):
            continue
        was = kinds[index]
        if kind == "proud":
            kinds[index] = RangeKinds(int(count), was.sorries, was.sorries_with_cause)
        elif kind == "sorry":
            kinds[index] = RangeKinds(was.prouds, int(count), int(with_cause))
            days[index] = float(seconds) / 86400 if seconds is not None else None
    return kinds, days


@dataclass(frozen=True)
class SplitCount:
    """Entries and people taking part in one range, for one customer group or area."""

    index: int
    key: int | str
    entries: int
    people: int


def _per_person(pairs: Subquery) -> Select[Any]:
    """Entries and people per range and key, from one row per range, key and person (with their entries): a hash of
    those rows is cheaper than sorting the entries for COUNT(DISTINCT), and counts the same."""
    return select(pairs.c.at, pairs.c.key, func.sum(pairs.c.entries), func.count()).group_by(pairs.c.at, pairs.c.key)


@dataclass(frozen=True)
class _Tagged:
    """Where the tags of a workspace's entries (of one author) are read from, and their entry's columns."""

    moment: SQLColumnExpression[datetime]
    author: SQLColumnExpression[str | None]
    kind: SQLColumnExpression[str | None]
    where: tuple[ColumnElement[bool], ...]
    joined: bool  # the entries joined with their tags (an author's), else the tags alone (the workspace's)

    def select(self, *columns: Any) -> Select[Any]:
        query = select(*columns).where(*self.where)
        if self.joined:
            return query.select_from(Entry).join(EntryCustomerGroup, EntryCustomerGroup.entry_id == Entry.id)
        return query.select_from(EntryCustomerGroup)


def _tagged(team_id: str, author_id: str | None) -> _Tagged:
    """The workspace's tags through their copies of the entry's columns (migration 0024; one index, no join with
    the entries); an author's through their own entries (their index) joined with the tags, which reads only
    theirs."""
    if author_id is None:
        return _Tagged(
            EntryCustomerGroup.created_at,  # type: ignore[arg-type]  # never NULL: the triggers copy it
            EntryCustomerGroup.author_id,
            EntryCustomerGroup.kind,
            (EntryCustomerGroup.team_id == team_id,),
            joined=False,
        )
    return _Tagged(Entry.created_at, Entry.author_id, Entry.kind, tuple(_scope(team_id, author_id)), joined=True)


def groups_by_range(session: Session, *, team_id: str, author_id: str | None, ranges: Ranges) -> list[SplitCount]:
    """Entries and people per customer group and range."""
    tagged = _tagged(team_id, author_id)
    where, index_of = ranges.bucket(session, tagged.moment)
    pairs = (
        tagged.select(where.label("at"), EntryCustomerGroup.group_id.label("key"), func.count().label("entries"))
        .where(ranges.holds(tagged.moment))
        .group_by(where, EntryCustomerGroup.group_id, tagged.author)
        .subquery()
    )
    rows = session.execute(_per_person(pairs)).all()
    found = [SplitCount(index_of(v), int(g), int(n), int(p)) for v, g, n, p in rows]
    return [count for count in found if count.index >= 0]


def areas_by_range(session: Session, *, team_id: str, author_id: str | None, ranges: Ranges) -> list[SplitCount]:
    where, index_of = ranges.bucket(session, Entry.created_at)
    pairs = (
        select(where.label("at"), Entry.area.label("key"), func.count().label("entries"))
        .where(*_scope(team_id, author_id), ranges.holds(Entry.created_at), Entry.area.is_not(None))
        .group_by(where, Entry.area, Entry.author_id)
        .subquery()
    )
    rows = session.execute(_per_person(pairs)).all()
    found = [SplitCount(index_of(v), str(a), int(n), int(p)) for v, a, n, p in rows]
    return [count for count in found if count.index >= 0]


def kinds_by_group(
    session: Session, *, team_id: str, author_id: str | None, start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """Per customer group: its prouds and sorries in [start, end)."""
    tagged = _tagged(team_id, author_id)
    rows = session.execute(
        tagged.select(EntryCustomerGroup.group_id, tagged.kind, func.count())
        .where(tagged.moment >= start, tagged.moment < end)
        .group_by(EntryCustomerGroup.group_id, tagged.kind)
    ).all()
    found: dict[int, dict[str, int]] = {}
    for group_id, kind, count in rows:
        found.setdefault(int(group_id), {})[str(kind)] = int(count)
    return found


def _conditions(chosen: EntryFilter) -> list[ColumnElement[bool]]:
    where = _scope(chosen.team_id, chosen.author_id)
    if chosen.kind is not None:
        where.append(Entry.kind == chosen.kind)
    if chosen.area is not None:
        where.append(Entry.area == chosen.area)
    if chosen.channel_id is not None:
        where.append(Entry.channel_id == chosen.channel_id)
    if chosen.stage is not None:
        where.append(Entry.stage == chosen.stage)
    if chosen.start is not None:
        where.append(Entry.created_at >= chosen.start)
    if chosen.end is not None:
        where.append(Entry.created_at < chosen.end)
    if chosen.group_id is not None:
        where.append(
            Entry.id.in_(select(EntryCustomerGroup.entry_id).where(EntryCustomerGroup.group_id == chosen.group_id))
        )
    return where


@dataclass(frozen=True)
class Filtered:
    rows: list[EntryRow]  # the newest first
    total: int  # how many the filter picks in all (-1: not counted)
    tags: dict[int, list[int]]  # each row's customer group ids


def filtered_entries(session: Session, chosen: EntryFilter, *, limit: int, count: bool = True) -> Filtered:
    """The newest `limit` entries the filter picks, their customer groups, and how many it picks in all."""
    where = _conditions(chosen)
    total = int(session.scalar(select(func.count()).select_from(Entry).where(*where)) or 0) if count else -1
    newest = (Entry.created_at.desc(), Entry.id.desc())
    rows = [
        EntryRow(*row)
        for row in session.execute(
            select(
                Entry.id,
                Entry.kind,
                Entry.author_id,
                Entry.channel_id,
                Entry.text,
                Entry.area,
                Entry.created_at,
                Entry.root_cause,
                Entry.message_ts,
                Entry.source_permalink,
                Entry.stage,
            )
            .where(*where)
            .order_by(*newest)
            .limit(limit)
        )
    ]
    tags: dict[int, list[int]] = {}
    if rows:
        # the same entries again, in the database (thousands of ids as parameters cost more than the lookup)
        chosen_ids = select(Entry.id).where(*where).order_by(*newest).limit(limit).subquery()
        for entry_id, group_id in session.execute(
            select(EntryCustomerGroup.entry_id, EntryCustomerGroup.group_id).where(
                EntryCustomerGroup.entry_id.in_(select(chosen_ids.c.id))
            )
        ):
            tags.setdefault(entry_id, []).append(group_id)
    return Filtered(rows, total, tags)


# The columns of one CSV line, in this order: created_at (aware, in any time zone),
# kind, author_id, channel_id, text, root_cause, area, stage, message_ts, source_permalink, and the entry's customer
# group ids as one comma-separated string (None: no group)
CsvLine = tuple[datetime, str, str, str, str, str | None, str | None, str | None, str | None, str | None, str | None]


def csv_lines(session: Session, chosen: EntryFilter, *, limit: int) -> Generator[Sequence[CsvLine], None, None]:
    """The newest `limit` entries the filter picks (as `filtered_entries` orders them), only the columns the CSV shows,
    with their customer group ids joined by the database in the same statement (one index lookup per entry: ~40 ms
    for 50,000 on PostgreSQL, half the cost of a second statement), in slices of CSV_SLICE lines: plain tuples
    through Core, without the ORM's rows or the UTC type's conversion of each moment (the caller converts it to the
    viewer's zone anyway). No count: the CSV does not show one.

    A generator: close it if you stop early (on PostgreSQL it holds the driver's connection until it ends)."""
    tag = EntryCustomerGroup.group_id
    group_ids = (
        select(func.aggregate_strings(cast(tag, String), ","))
        .where(EntryCustomerGroup.entry_id == Entry.id)
        .scalar_subquery()
    )
    query = (
        select(
            type_coerce(Entry.created_at, DateTime(timezone=True)),
            Entry.kind,
            Entry.author_id,
            Entry.channel_id,
            Entry.text,
            Entry.root_cause,
            Entry.area,
            Entry.stage,
            Entry.message_ts,
            Entry.source_permalink,
            group_ids,
        )
        .where(*_conditions(chosen))
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(limit)
    )
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # the planner prices the top `limit` of the whole workspace high enough to JIT-compile the statement (~6 ms
        # here, more on a busy machine) for ~65 ms of work down an index: not worth it. SET LOCAL ends with the
        # transaction.
        connection.exec_driver_sql("SET LOCAL jit = off")
        if connection.dialect.driver == "psycopg" and _chunked_rows():
            yield from _streamed(connection, query)
            return
    # in slices: the rows of one are garbage once read, so the garbage collector never has 50,000 of them to look
    # through again and again (a third of the time when they were all kept)
    for rows in connection.execute(query).partitions(CSV_SLICE):
        yield [(_aware(row[0]), *row[1:]) for row in rows]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite's moments are UTC


def _chunked_rows() -> bool:
    from psycopg import capabilities  # only here: the driver of PostgreSQL, an optional dependency

    return capabilities.has_stream_chunked()


def _streamed(connection: Connection, query: ClauseElement) -> Iterator[list[CsvLine]]:
    """The lines streamed by psycopg in chunks (libpq 17 and later): the database finds and sends the next lines
    while the caller writes these, on another core, instead of before it starts. Through the driver's cursor in the
    session's transaction: no Row objects either (no column of `csv_lines` needs a result processor)."""
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        rows = cursor.stream(str(compiled), compiled.construct_params(), size=CSV_SLICE)
        try:
            while chunk := list(islice(rows, CSV_SLICE)):
                yield chunk
        finally:
            rows.close()  # when the caller stops early: psycopg cancels the statement and lets go of the connection


def _distinct(session: Session, column: InstrumentedAttribute[Any], *where: ColumnElement[bool]) -> list[str]:
    """The distinct values of an indexed column among the rows `where` picks, in order, by skipping from each value
    to the next through the index (a recursive query: one index probe per value, not a read of every row)."""
    found = select(func.min(column).label("value")).where(*where).cte("found", recursive=True)
    following = select(func.min(column)).where(*where, column > found.c.value).scalar_subquery()
    found = found.union_all(select(following).where(found.c.value.is_not(None)))
    return [str(value) for value in session.scalars(select(found.c.value).where(found.c.value.is_not(None)))]


def stages_of(session: Session, *, team_id: str, author_id: str | None) -> list[str]:
    """The journey stages the entries (of this author) were tagged with: the workspace's through
    `ix_entries_team_stage`, an author's among their own entries."""
    if author_id is None:
        return _distinct(session, Entry.stage, Entry.team_id == team_id, Entry.stage.is_not(None))
    query = select(Entry.stage).where(*_scope(team_id, author_id), Entry.stage.is_not(None)).distinct()
    return [str(stage) for stage in session.scalars(query.order_by(Entry.stage))]


def channels_of(session: Session, *, team_id: str, author_id: str | None) -> list[str]:
    """The channels the entries (of this author) were logged in: the workspace's through
    `ix_entries_team_channel`, an author's among their own entries."""
    if author_id is None:
        return _distinct(session, Entry.channel_id, Entry.team_id == team_id)
    query = select(Entry.channel_id).where(*_scope(team_id, author_id)).distinct().order_by(Entry.channel_id)
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class OpenAction:
    id: int
    title: str
    owner_id: str
    status: str
    due_date: date
    created_at: datetime


def _open_in_scope(
    team_id: str, owner_ids: Sequence[str] | None, hidden_owners: Sequence[str], statuses: Sequence[str] = OPEN_STATUSES
) -> list[Any]:
    where = [ActionItem.team_id == team_id, ActionItem.status.in_(list(statuses))]
    if owner_ids is not None:
        where.append(ActionItem.owner_id.in_(list(owner_ids)))
    if hidden_owners:
        where.append(ActionItem.owner_id.not_in(list(hidden_owners)))
    return where


def open_actions(
    session: Session,
    *,
    team_id: str,
    owner_ids: Sequence[str] | None,
    hidden_owners: Sequence[str] = (),
    limit: int | None = None,
) -> list[OpenAction]:
    """The open commitments (of these owners, never of `hidden_owners`), soonest due first, the first `limit`:
    the columns the dashboard shows."""
    columns = (
        ActionItem.id,
        ActionItem.title,
        ActionItem.owner_id,
        ActionItem.status,
        ActionItem.due_date,
        ActionItem.created_at,
    )
    order = (ActionItem.due_date, ActionItem.id)
    if limit is None or owner_ids is not None:
        # some people's: read through their own items (a person has tens open), the first `limit` kept here
        query = select(*columns).where(*_open_in_scope(team_id, owner_ids, hidden_owners)).order_by(*order)
    else:
        # the first `limit` of each open status, through ix_action_items_team_status_due in due order, then the
        # first `limit` of those: asked for the soonest due of all open statuses at once, PostgreSQL walks the due
        # dates from the oldest and reads every closed item of the past (70 ms of 90,000 items)
        firsts = [
            select(*columns)
            .where(*_open_in_scope(team_id, owner_ids, hidden_owners, [status]))
            .order_by(*order)
            .limit(limit)
            .subquery()
            for status in OPEN_STATUSES
        ]
        # each part a subquery of its own: SQLite takes no LIMIT inside a compound select
        found = union_all(*(select(*first.c) for first in firsts)).subquery()
        query = select(*found.c).order_by(found.c.due_date, found.c.id).limit(limit)
    # Core, not the ORM's result machinery: a large workspace has thousands of open commitments
    rows = session.connection().execute(query).all()
    return [OpenAction(*row) for row in rows[:limit]]


@dataclass(frozen=True, slots=True)
class OwnerOpen:
    """One owner's open commitments, counted by the database. `short` and `long` are those whose horizon is the
    same whatever the owner's time zone; the others are in `near`, as (created at, due date), to be judged by
    it."""

    open: int = 0
    at_risk: int = 0
    overdue: int = 0
    short: int = 0
    long: int = 0
    near: tuple[tuple[datetime, date], ...] = ()


def _utc_day(session: Session, moment: SQLColumnExpression[Any], days: int) -> ColumnElement[Any]:
    """The UTC date of `moment`, `days` later."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", moment), Date) + days
    # SQLite keeps moments as text "YYYY-MM-DD HH:MM:SS.ffffff" (UTC) and dates as "YYYY-MM-DD"
    return func.date(moment, f"{days:+d} days")


def _plus_months(session: Session, day: ColumnElement[Any], months: int) -> ColumnElement[Any]:
    """`day` plus `months` calendar months, on the target month's last day when it has no such day (31 August
    plus 6 months is 28 February), as bot.services.actions.add_months counts."""
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL's date + interval keeps to the target month the same way
        return cast(day + literal_column(f"interval '{int(months)} months'"), Date)
    # SQLite's date(d, '+n months') overflows into the next month instead: the target month's last day caps it
    ahead = func.date(day, f"+{int(months)} months")
    return func.min(ahead, func.date(day, "start of month", f"+{int(months) + 1} months", "-1 day"))


def open_by_owner(
    session: Session,
    *,
    team_id: str,
    owner_ids: Sequence[str] | None,
    hidden_owners: Sequence[str] = (),
    today: date,
    short_months: int,
) -> dict[str, OwnerOpen]:
    """Per owner, the open commitments (as `open_actions` chooses them) counted by the database: at risk, overdue
    (due before `today`), and by horizon, short term when due at most `short_months` after the owner's local date
    of creation (bot.services.actions.item_horizon). That local date is the UTC date, the day before or the day
    after: only the items whose horizon those three days disagree on come back one by one, for the owner's zone to
    decide (a few per hundred)."""
    due = ActionItem.due_date
    short_anyway = due <= _plus_months(session, _utc_day(session, ActionItem.created_at, -1), short_months)
    long_anyway = due > _plus_months(session, _utc_day(session, ActionItem.created_at, 1), short_months)
    near = ~or_(short_anyway, long_anyway)
    near_created, near_due = case((near, ActionItem.created_at)), case((near, due))
    query = (
        select(
            ActionItem.owner_id,
            near_created,
            near_due,
            func.count(),
            func.count(case((ActionItem.status == ActionStatus.AT_RISK.value, 1))),
            func.count(case((due < today, 1))),
            func.count(case((short_anyway, 1))),
            func.count(case((long_anyway, 1))),
        )
        .where(*_open_in_scope(team_id, owner_ids, hidden_owners))
        .group_by(ActionItem.owner_id, near_created, near_due)
    )
    counts: dict[str, list[int]] = {}
    nears: dict[str, list[tuple[datetime, date]]] = {}
    # Core rows: one per owner, and one per item judged by its owner's zone
    for owner_id, created_at, due_date, count, at_risk, overdue, short, long in session.connection().execute(query):
        found = counts.setdefault(owner_id, [0, 0, 0, 0, 0])
        found[0] += count
        found[1] += at_risk
        found[2] += overdue
        found[3] += short
        found[4] += long
        if created_at is not None:
            nears.setdefault(owner_id, []).extend([(created_at, due_date)] * count)
    return {
        owner: OwnerOpen(open_, at_risk, overdue, short, long, tuple(nears.get(owner, ())))
        for owner, (open_, at_risk, overdue, short, long) in counts.items()
    }


def actions_by_group(
    session: Session, *, team_id: str, owner_id: str | None, start: datetime, end: datetime
) -> dict[int, tuple[int, int]]:
    """Per customer group: its open commitments now, and those kept (done) within [start, end)."""
    is_open = ActionItem.status.in_(OPEN_STATUSES)
    kept = and_(ActionItem.status == ActionStatus.DONE.value, ActionItem.closed_at >= start, ActionItem.closed_at < end)
    query = (
        select(
            ActionCustomerGroup.group_id,
            func.count(case((is_open, 1))),
            func.count(case((kept, 1))),
        )
        .join(ActionItem, ActionItem.id == ActionCustomerGroup.action_id)
        .where(ActionItem.team_id == team_id, is_open | kept)
        .group_by(ActionCustomerGroup.group_id)
    )
    if owner_id is not None:
        query = query.where(ActionItem.owner_id == owner_id)
    return {int(group_id): (int(open_now), int(done)) for group_id, open_now, done in session.execute(query)}


def answers_by_group(
    session: Session, *, team_id: str, answered_by: str | None, start: datetime, end: datetime
) -> dict[int, int]:
    query = select(MeetingAnswer.group_id, func.count()).where(
        MeetingAnswer.team_id == team_id,
        MeetingAnswer.group_id.is_not(None),
        MeetingAnswer.answered_at >= start,
        MeetingAnswer.answered_at < end,
    )
    if answered_by is not None:
        query = query.where(MeetingAnswer.answered_by == answered_by)
    rows = session.execute(query.group_by(MeetingAnswer.group_id))
    return {int(group_id or 0): int(count) for group_id, count in rows}
