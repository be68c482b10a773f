"""Prouds and sorries."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import CustomerGroup, Entry, EntryCustomerGroup, RootCauseRevision


def find_by_idempotency_key(session: Session, *, team_id: str, key: str) -> Entry | None:
    return session.scalars(select(Entry).where(Entry.team_id == team_id, Entry.idempotency_key == key)).first()


@dataclass(frozen=True)
class NewEntryRow:
    team_id: str
    kind: str
    author_id: str
    channel_id: str
    text: str
    created_at: datetime
    idempotency_key: str
    area: str | None = None
    stage: str | None = None
    source_channel_id: str | None = None
    source_ts: str | None = None


ENTRIES = Entry.metadata.tables[Entry.__tablename__]
ENTRY_GROUPS = EntryCustomerGroup.metadata.tables[EntryCustomerGroup.__tablename__]
# built once: executing a prepared construct skips building and hashing a new statement each time
_INSERT_ONCE = {
    dialect: insert(ENTRIES)
    .on_conflict_do_nothing(index_elements=[ENTRIES.c.team_id, ENTRIES.c.idempotency_key])
    .returning(ENTRIES.c.id)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_LINK_GROUPS = ENTRY_GROUPS.insert()


def insert_entry_once(session: Session, row: NewEntryRow, *, group_ids: Sequence[int] = ()) -> int | None:
    """Store an entry with its groups in one INSERT (and one more for the groups, when there are any); its
    id, or None when an entry with this idempotency key is already there (then nothing is written).

    One statement instead of a look-up then an insert: two requests with the same key (a command
    Slack delivered twice, to two processes) cannot both insert, and neither fails."""
    dialect = session.get_bind().dialect.name
    entry_id = session.execute(_INSERT_ONCE[dialect], row.__dict__.copy()).scalar()  # asdict: 10 times as slow
    if entry_id is not None and group_ids:
        session.execute(_LINK_GROUPS, [{"entry_id": entry_id, "group_id": group_id} for group_id in group_ids])
    return entry_id


_GROUPS = CustomerGroup.metadata.tables[CustomerGroup.__tablename__]
_INSERTED = (
    _INSERT_ONCE["postgresql"]
    .values({name: bindparam(name) for name in NewEntryRow.__dataclass_fields__})
    .cte("inserted")
)
# PostgreSQL: the insert, and the workspace's active groups (id, name, by name, as `groups.tagged` orders them),
# in one statement: a row per group (one with no group when there is none), no row when the key was there
_INSERT_ONCE_WITH_GROUPS = (
    select(_INSERTED.c.id, _GROUPS.c.id, _GROUPS.c.name)
    .select_from(
        _INSERTED.outerjoin(_GROUPS, and_(_GROUPS.c.team_id == bindparam("team_id"), _GROUPS.c.archived_at.is_(None)))
    )
    .order_by(_GROUPS.c.name)
)


def insert_once_reading_groups(session: Session, row: NewEntryRow) -> tuple[int | None, list[tuple[int, str]]] | None:
    """PostgreSQL: as `insert_entry_once` (without groups), and the workspace's active groups, (id, name) by
    name, in one round trip; (None, []) when an entry with this key is already there. None on another
    database: the caller reads the groups itself (SQLite has no INSERT in a WITH)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    rows = session.execute(_INSERT_ONCE_WITH_GROUPS, row.__dict__.copy()).all()
    if not rows:
        return None, []
    return rows[0][0], [(group_id, name) for _, group_id, name in rows if group_id is not None]


def link_groups(session: Session, *, entry_id: int, group_ids: Sequence[int]) -> None:
    """Tag a just-inserted entry with these groups."""
    if group_ids:
        session.execute(_LINK_GROUPS, [{"entry_id": entry_id, "group_id": group_id} for group_id in group_ids])


def link_group(session: Session, *, entry: Entry, group_id: int) -> None:
    """Tag an entry with one more group (nothing when it already has it)."""
    if all(group.id != group_id for group in entry.groups):
        session.execute(_LINK_GROUPS, [{"entry_id": entry.id, "group_id": group_id}])
        session.expire(entry, ["groups"])


def get_entry(session: Session, *, team_id: str, entry_id: int) -> Entry | None:
    """The entry with this id, only if it belongs to `team_id`."""
    return session.scalars(select(Entry).where(Entry.team_id == team_id, Entry.id == entry_id)).first()


def recent_by_author(session: Session, *, team_id: str, author_id: str, limit: int) -> Sequence[Entry]:
    return session.scalars(
        select(Entry)
        .where(Entry.team_id == team_id, Entry.author_id == author_id)
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(limit)
    ).all()


def set_root_cause(session: Session, *, entry: Entry, root_cause: str, by: str, now: datetime) -> bool:
    """Write the sorry's root cause; the one it replaces is kept in its history. False when it is the same."""
    if entry.root_cause == root_cause:
        return False
    if entry.root_cause:
        session.add(
            RootCauseRevision(
                entry_id=entry.id,
                text=entry.root_cause,
                written_by=entry.root_cause_by,
                written_at=entry.root_cause_at,
                replaced_by=by,
                replaced_at=now,
            )
        )
    entry.root_cause = root_cause
    entry.root_cause_by = by
    entry.root_cause_at = now
    session.flush()
    return True


def root_cause_history(session: Session, *, entry_id: int) -> Sequence[RootCauseRevision]:
    """The sorry's earlier root causes, oldest first."""
    return session.scalars(
        select(RootCauseRevision).where(RootCauseRevision.entry_id == entry_id).order_by(RootCauseRevision.id)
    ).all()


_RECORD_POST = (
    update(ENTRIES)
    .where(ENTRIES.c.team_id == bindparam("team"), ENTRIES.c.id == bindparam("entry"))
    .values(message_ts=bindparam("message_ts"), post_error=bindparam("post_error"))
)
_RECORD_POST_WITH_LINK = _RECORD_POST.values(source_permalink=bindparam("permalink"))


def record_post(
    session: Session,
    *,
    team_id: str,
    entry_id: int,
    message_ts: str | None,
    error: str | None = None,
    permalink: str | None = None,
) -> None:
    """Where the bot posted the entry (or why it could not): one UPDATE (built once), the entry is not
    read again."""
    values: dict[str, object] = {"team": team_id, "entry": entry_id, "message_ts": message_ts, "post_error": error}
    if permalink is None:
        session.execute(_RECORD_POST, values)
    else:
        session.execute(_RECORD_POST_WITH_LINK, {**values, "permalink": permalink})


def record_posts(session: Session, posts: Sequence[tuple[str, int, str]]) -> None:
    """Where the bot posted these entries, (team, entry id, message ts) each: one UPDATE executed for all."""
    if posts:
        session.execute(
            _RECORD_POST,
            [{"team": team, "entry": entry, "message_ts": ts, "post_error": None} for team, entry, ts in posts],
        )


def unposted(
    session: Session, *, created_from: datetime, created_until: datetime
) -> list[tuple[int, str, str, datetime]]:
    """(id, team, channel, created_at) of the entries stored in this span and neither posted nor refused.

    The conditions are those of the partial index `ix_entries_unposted`, so this reads only the few
    entries whose post went missing, however many entries there are."""
    rows = session.execute(
        select(Entry.id, Entry.team_id, Entry.channel_id, Entry.created_at)
        .where(
            Entry.message_ts.is_(None),
            Entry.post_error.is_(None),
            Entry.created_at >= created_from,
            Entry.created_at <= created_until,
        )
        .order_by(Entry.created_at, Entry.id)
    ).all()
    return [(entry_id, team_id, channel_id, created_at) for entry_id, team_id, channel_id, created_at in rows]


def iter_entries(
    session: Session,
    *,
    kinds: Sequence[str],
    since: datetime | None = None,
    team_id: str | None = None,
    author_id: str | None = None,
    batch_size: int = 1000,
) -> Iterator[Entry]:
    """Entries in creation order, streamed in batches (for export)."""
    query = select(Entry).where(Entry.kind.in_(list(kinds)))
    if author_id is not None:
        query = query.where(Entry.author_id == author_id)
    if since is not None:
        query = query.where(Entry.created_at >= since)
    if team_id is not None:
        query = query.where(Entry.team_id == team_id)
    query = query.order_by(Entry.created_at, Entry.id).execution_options(yield_per=batch_size)
    yield from session.scalars(query)
