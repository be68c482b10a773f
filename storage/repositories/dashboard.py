"""What the web dashboard reads: entries over a period (optionally one author's), filtered entries, the
commitments and meeting answers by customer group. `author_id=None` reads the whole workspace; the caller
decides who may (bot/dashboard/access.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class EntryFact:
    """An entry as the charts count it (no text)."""

    id: int
    kind: str
    author_id: str
    area: str | None
    created_at: datetime
    root_cause_at: datetime | None


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


@dataclass(frozen=True)
class EntryFilter:
    team_id: str
    author_id: str | None = None  # None: everyone's
    kind: str | None = None
    group_id: int | None = None
    area: str | None = None
    channel_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def _scope(team_id: str, author_id: str | None) -> list[ColumnElement[bool]]:
    where = [Entry.team_id == team_id]
    if author_id is not None:
        where.append(Entry.author_id == author_id)
    return where


def entry_facts(
    session: Session, *, team_id: str, author_id: str | None, start: datetime, end: datetime
) -> list[EntryFact]:
    rows = session.execute(
        select(Entry.id, Entry.kind, Entry.author_id, Entry.area, Entry.created_at, Entry.root_cause_at).where(
            *_scope(team_id, author_id), Entry.created_at >= start, Entry.created_at < end
        )
    ).all()
    return [EntryFact(*row) for row in rows]


def group_tags(session: Session, *, entry_ids: Sequence[int]) -> dict[int, list[int]]:
    """Each entry's customer group ids, looked up by primary key a few hundred at a time."""
    found: dict[int, list[int]] = {}
    ids = list(entry_ids)
    for at in range(0, len(ids), TAG_LOOKUP_CHUNK):
        chunk = ids[at : at + TAG_LOOKUP_CHUNK]
        for entry_id, group_id in session.execute(
            select(EntryCustomerGroup.entry_id, EntryCustomerGroup.group_id).where(
                EntryCustomerGroup.entry_id.in_(chunk)
            )
        ):
            found.setdefault(entry_id, []).append(group_id)
    return found


def _filtered(chosen: EntryFilter) -> Select[int]:
    query = select(Entry.id).where(*_scope(chosen.team_id, chosen.author_id))
    if chosen.kind is not None:
        query = query.where(Entry.kind == chosen.kind)
    if chosen.area is not None:
        query = query.where(Entry.area == chosen.area)
    if chosen.channel_id is not None:
        query = query.where(Entry.channel_id == chosen.channel_id)
    if chosen.start is not None:
        query = query.where(Entry.created_at >= chosen.start)
    if chosen.end is not None:
        query = query.where(Entry.created_at < chosen.end)
    if chosen.group_id is not None:
        query = query.where(
            Entry.id.in_(select(EntryCustomerGroup.entry_id).where(EntryCustomerGroup.group_id == chosen.group_id))
        )
    return query


def filtered_entries(session: Session, chosen: EntryFilter, *, limit: int) -> tuple[list[EntryRow], int]:
    """The newest `limit` entries the filter picks, and how many it picks in all."""
    ids = _filtered(chosen).subquery()
    total = int(session.scalar(select(func.count()).select_from(ids)) or 0)
    rows = session.execute(
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
        )
        .where(Entry.id.in_(select(ids.c.id)))
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(limit)
    ).all()
    return [EntryRow(*row) for row in rows], total  # type: ignore[call-arg]


def channels_of(session: Session, *, team_id: str, author_id: str | None) -> list[str]:
    return list(
        session.scalars(
            select(Entry.channel_id).where(*_scope(team_id, author_id)).distinct().order_by(Entry.channel_id)
        )
    )


def open_actions(session: Session, *, team_id: str, owner_ids: Sequence[str] | None) -> list[ActionItem]:
    query = select(ActionItem).where(ActionItem.team_id == team_id, ActionItem.status.in_(OPEN_STATUSES))
    if owner_ids is not None:
        query = query.where(ActionItem.owner_id.in_(list(owner_ids)))
    return list(session.scalars(query.order_by(ActionItem.due_date, ActionItem.id)))


def actions_by_group(
    session: Session, *, team_id: str, owner_id: str | None, start: datetime, end: datetime
) -> dict[int, tuple[int, int]]:
    """Per customer group: its open commitments now, and those kept (done) within [start, end)."""
    query = (
        select(ActionCustomerGroup.group_id, ActionItem.status, ActionItem.closed_at)
        .join(ActionItem, ActionItem.id == ActionCustomerGroup.action_id)
        .where(ActionItem.team_id == team_id)
    )
    if owner_id is not None:
        query = query.where(ActionItem.owner_id == owner_id)
    found: dict[int, tuple[int, int]] = {}
    for group_id, status, closed_at in session.execute(query):
        open_now, kept = found.get(group_id, (0, 0))
        if status in OPEN_STATUSES:
            open_now += 1
        elif status == ActionStatus.DONE.value and closed_at is not None and start <= closed_at < end:
            kept += 1
        found[group_id] = (open_now, kept)
    return found


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
