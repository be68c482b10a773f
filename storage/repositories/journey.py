"""The customer journey: a workspace's ordered stages (and its customer groups' own), and what the breakdown map
counts against them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import (
    OPEN_STATUSES,
    ActionCustomerGroup,
    ActionItem,
    CustomerGroup,
    Entry,
    EntryCustomerGroup,
    EntryKind,
    JourneyStage,
    Workspace,
)
from storage.repositories.workspaces import get_or_add_workspace


def journeys(session: Session, *, team_id: str) -> dict[int | None, list[str]]:
    """Every journey the workspace wrote: its own (key None) and its active groups' (key: the group id), stages
    in order, in one statement. A journey nobody wrote is absent (the workspace's default is the caller's)."""
    found: dict[int | None, list[str]] = {}
    rows = session.execute(
        select(JourneyStage.group_id, JourneyStage.name)
        .outerjoin(CustomerGroup, CustomerGroup.id == JourneyStage.group_id)
        .where(
            JourneyStage.team_id == team_id,
            or_(JourneyStage.group_id.is_(None), CustomerGroup.archived_at.is_(None)),
        )
        .order_by(JourneyStage.group_id, JourneyStage.position, JourneyStage.id)
    ).all()
    for group_id, name in rows:
        found.setdefault(group_id, []).append(name)
    return found


def replace_journey(session: Session, *, team_id: str, group_id: int | None, stages: Sequence[str]) -> None:
    """Write a journey's stages in place of the ones it had (none: the journey goes, its default applies).
    The workspace's row is locked first (PostgreSQL), so two admins saving at once write one list after the
    other, never both interleaved."""
    get_or_add_workspace(session, team_id=team_id)
    session.execute(select(Workspace.team_id).where(Workspace.team_id == team_id).with_for_update())
    where = [JourneyStage.team_id == team_id]
    where.append(JourneyStage.group_id.is_(None) if group_id is None else JourneyStage.group_id == group_id)
    session.execute(delete(JourneyStage).where(*where))
    session.add_all(
        JourneyStage(team_id=team_id, group_id=group_id, position=position, name=name)
        for position, name in enumerate(stages)
    )
    session.flush()


@dataclass(frozen=True)
class StagedSorry:
    id: int
    author_id: str
    channel_id: str
    text: str
    stage: str | None
    created_at: datetime
    group_ids: tuple[int, ...]


def sorries_between(session: Session, *, team_id: str, start: datetime, end: datetime, limit: int) -> list[StagedSorry]:
    """The sorries logged in [start, end), newest first (at most `limit`), each with its stage and groups."""
    rows = session.execute(
        select(Entry.id, Entry.author_id, Entry.channel_id, Entry.text, Entry.stage, Entry.created_at)
        .where(
            Entry.team_id == team_id,
            Entry.kind == EntryKind.SORRY.value,
            Entry.created_at >= start,
            Entry.created_at < end,
        )
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(limit)
    ).all()
    groups = _groups_of(session, EntryCustomerGroup.entry_id, EntryCustomerGroup.group_id, [row.id for row in rows])
    return [
        StagedSorry(row.id, row.author_id, row.channel_id, row.text, row.stage, row.created_at, groups.get(row.id, ()))
        for row in rows
    ]


@dataclass(frozen=True)
class StagedAction:
    id: int
    title: str
    owner_id: str
    due_date: date
    status: str
    stage: str
    group_ids: tuple[int, ...]


def open_actions_with_stage(session: Session, *, team_id: str, limit: int) -> list[StagedAction]:
    """Open action items that carry a stage, soonest due first (at most `limit`), each with its groups."""
    rows = session.execute(
        select(ActionItem.id, ActionItem.title, ActionItem.owner_id, ActionItem.due_date, ActionItem.status)
        .add_columns(ActionItem.stage)
        .where(ActionItem.team_id == team_id, ActionItem.status.in_(OPEN_STATUSES), ActionItem.stage.is_not(None))
        .order_by(ActionItem.due_date, ActionItem.id)
        .limit(limit)
    ).all()
    groups = _groups_of(session, ActionCustomerGroup.action_id, ActionCustomerGroup.group_id, [row.id for row in rows])
    return [
        StagedAction(row.id, row.title, row.owner_id, row.due_date, row.status, row.stage, groups.get(row.id, ()))
        for row in rows
    ]


def _groups_of(
    session: Session, owner: InstrumentedAttribute[int], group: InstrumentedAttribute[int], ids: Sequence[int]
) -> dict[int, tuple[int, ...]]:
    found: dict[int, list[int]] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start : start + 500]
        rows = session.execute(select(owner, group).where(owner.in_(chunk))).all()
        for owner_id, group_id in rows:
            found.setdefault(owner_id, []).append(group_id)
    return {key: tuple(sorted(value)) for key, value in found.items()}


def sorries_by_stage(session: Session, *, team_id: str, start: datetime, end: datetime) -> dict[str, int]:
    """The sorries logged in [start, end) that carry a stage, counted by stage (as stored)."""
    rows = session.execute(
        select(Entry.stage, func.count())
        .where(
            Entry.team_id == team_id,
            Entry.kind == EntryKind.SORRY.value,
            Entry.created_at >= start,
            Entry.created_at < end,
            Entry.stage.is_not(None),
        )
        .group_by(Entry.stage)
    ).all()
    return {str(stage): int(count) for stage, count in rows}


def open_actions_by_stage(session: Session, *, team_id: str) -> dict[str, int]:
    """Open action items that carry a stage, counted by stage (as stored)."""
    rows = session.execute(
        select(ActionItem.stage, func.count())
        .where(ActionItem.team_id == team_id, ActionItem.status.in_(OPEN_STATUSES), ActionItem.stage.is_not(None))
        .group_by(ActionItem.stage)
    ).all()
    return {str(stage): int(count) for stage, count in rows}
