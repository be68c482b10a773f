"""The digest's numbers: SQL aggregates over a week's rows, by the indexed (team, time) columns.

Every query is bounded by a time range (or by open items), so what a digest costs follows the
week's activity, not the workspace's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import CompoundSelect, distinct, func, select, union
from sqlalchemy.orm import Session

from storage.models import (
    OPEN_STATUSES,
    ActionEvent,
    ActionItem,
    ActionStatus,
    Entry,
    EntryCustomerGroup,
    EntryKind,
    MeetingAnswer,
    MeetingPrompt,
)


def entry_counts(session: Session, *, team_id: str, start: datetime, end: datetime) -> dict[str, int]:
    """Prouds and sorries created in [start, end), by kind."""
    rows = session.execute(
        select(Entry.kind, func.count())
        .where(Entry.team_id == team_id, Entry.created_at >= start, Entry.created_at < end)
        .group_by(Entry.kind)
    ).all()
    return {kind: int(count) for kind, count in rows}


def highlights_by_channel(
    session: Session, *, team_id: str, start: datetime, end: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Per channel: the range's prouds, and its sorries still without a root cause (who may see them quoted
    depends on the channel)."""
    rows = session.execute(
        select(Entry.kind, Entry.channel_id, Entry.root_cause.is_(None), func.count())
        .where(Entry.team_id == team_id, Entry.created_at >= start, Entry.created_at < end)
        .group_by(Entry.kind, Entry.channel_id, Entry.root_cause.is_(None))
    ).all()
    prouds: dict[str, int] = {}
    open_sorries: dict[str, int] = {}
    for kind, channel, without_cause, count in rows:
        if kind == EntryKind.PROUD.value:
            prouds[str(channel)] = prouds.get(str(channel), 0) + int(count)
        elif kind == EntryKind.SORRY.value and without_cause:
            open_sorries[str(channel)] = open_sorries.get(str(channel), 0) + int(count)
    return prouds, open_sorries


def participants(session: Session, *, team_id: str, start: datetime, end: datetime) -> set[str]:
    """Everyone who took part: logged an entry, added a root cause, answered a meeting prompt or updated
    an action item."""
    people: CompoundSelect[tuple[str | None]] = union(
        select(Entry.author_id.label("user")).where(
            Entry.team_id == team_id, Entry.created_at >= start, Entry.created_at < end
        ),
        select(MeetingAnswer.answered_by.label("user")).where(
            MeetingAnswer.team_id == team_id, MeetingAnswer.answered_at >= start, MeetingAnswer.answered_at < end
        ),
        select(ActionEvent.by.label("user")).where(
            ActionEvent.team_id == team_id, ActionEvent.at >= start, ActionEvent.at < end
        ),
        select(Entry.root_cause_by.label("user")).where(
            Entry.team_id == team_id,
            Entry.root_cause_at >= start,
            Entry.root_cause_at < end,
            Entry.root_cause_by.is_not(None),
        ),
    )
    return {str(user) for (user,) in session.execute(people).all() if user}


def prompts_answered(session: Session, *, team_id: str, start: datetime, end: datetime) -> int:
    """Meeting prompts sent in [start, end) that got at least one answer."""
    return int(
        session.scalar(
            select(func.count(distinct(MeetingPrompt.id)))
            .join(MeetingAnswer, MeetingAnswer.prompt_id == MeetingPrompt.id)
            .where(MeetingPrompt.team_id == team_id, MeetingPrompt.sent_at >= start, MeetingPrompt.sent_at < end)
        )
        or 0
    )


def actions_created(session: Session, *, team_id: str, start: datetime, end: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                ActionItem.team_id == team_id, ActionItem.created_at >= start, ActionItem.created_at < end
            )
        )
        or 0
    )


def actions_done(session: Session, *, team_id: str, start: datetime, end: datetime) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                ActionItem.team_id == team_id,
                ActionItem.status == ActionStatus.DONE.value,
                ActionItem.closed_at >= start,
                ActionItem.closed_at < end,
            )
        )
        or 0
    )


def actions_overdue(session: Session, *, team_id: str, at: datetime, today: date) -> int:
    """Items past their due date at moment `at` (whose local date is `today`): open then.

    Two index-friendly parts: items open now and due before `today`, and items closed after `at`
    (that were still open then) and due before `today`.
    """
    # `created_at` is compared through an expression, so that no index on it is used: SQLite (which the
    # bot never analyses) would otherwise read every item created before `at`, the whole history, instead
    # of the few found by status and due date, or by closing date
    created = func.coalesce(ActionItem.created_at, ActionItem.created_at)
    open_now = select(func.count()).where(
        ActionItem.team_id == team_id,
        ActionItem.status.in_(OPEN_STATUSES),
        ActionItem.due_date < today,
        created < at,
    )
    closed_since = select(func.count()).where(
        ActionItem.team_id == team_id,
        ActionItem.closed_at >= at,
        ActionItem.due_date < today,
        created < at,
    )
    return int(session.scalar(open_now) or 0) + int(session.scalar(closed_since) or 0)


@dataclass(frozen=True)
class EntryText:
    id: int
    kind: str
    author_id: str
    channel_id: str
    text: str
    root_cause: str | None
    created_at: datetime


def entries_between(
    session: Session, *, team_id: str, start: datetime, end: datetime, kind: str | None = None, limit: int = 2000
) -> list[EntryText]:
    """The texts of the range's entries, newest first (a bounded number: a digest needs a sample)."""
    query = select(
        Entry.id, Entry.kind, Entry.author_id, Entry.channel_id, Entry.text, Entry.root_cause, Entry.created_at
    ).where(Entry.team_id == team_id, Entry.created_at >= start, Entry.created_at < end)
    if kind is not None:
        query = query.where(Entry.kind == kind)
    rows = session.execute(query.order_by(Entry.created_at.desc(), Entry.id.desc()).limit(limit)).all()
    return [EntryText(*row) for row in rows]


def sorries_without_cause(
    session: Session, *, team_id: str, start: datetime, end: datetime, limit: int
) -> tuple[list[EntryText], int]:
    """The range's sorries still without a root cause: the newest `limit`, and how many in all."""
    where = (
        Entry.team_id == team_id,
        Entry.kind == EntryKind.SORRY.value,
        Entry.root_cause.is_(None),
        Entry.created_at >= start,
        Entry.created_at < end,
    )
    total = int(session.scalar(select(func.count()).where(*where)) or 0)
    rows = session.execute(
        select(Entry.id, Entry.kind, Entry.author_id, Entry.channel_id, Entry.text, Entry.root_cause, Entry.created_at)
        .where(*where)
        .order_by(Entry.created_at.desc(), Entry.id.desc())
        .limit(limit)
    ).all()
    return [EntryText(*row) for row in rows], total


# ids per statement when looking up the tags of many entries (SQLite allows 32,766 parameters)
TAG_LOOKUP_CHUNK = 500


def entries_by_group(session: Session, *, team_id: str, start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """Per customer group id: prouds and sorries of the range that were tagged with it.

    The range's entries first, then their tags by primary key, a few hundred entries at a time: a join
    lets PostgreSQL hash every tag ever made (a cost that grows with the history, not the week)."""
    kinds: dict[int, str] = {
        entry_id: kind
        for entry_id, kind in session.execute(
            select(Entry.id, Entry.kind).where(
                Entry.team_id == team_id, Entry.created_at >= start, Entry.created_at < end
            )
        )
    }
    found: dict[int, dict[str, int]] = {}
    ids = list(kinds)
    for at in range(0, len(ids), TAG_LOOKUP_CHUNK):
        chunk = ids[at : at + TAG_LOOKUP_CHUNK]
        for entry_id, group_id in session.execute(
            select(EntryCustomerGroup.entry_id, EntryCustomerGroup.group_id).where(
                EntryCustomerGroup.entry_id.in_(chunk)
            )
        ):
            counts = found.setdefault(int(group_id), {})
            counts[kinds[entry_id]] = counts.get(kinds[entry_id], 0) + 1
    return found


def entries_by_area(session: Session, *, team_id: str, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    rows = session.execute(
        select(Entry.area, Entry.kind, func.count())
        .where(Entry.team_id == team_id, Entry.created_at >= start, Entry.created_at < end, Entry.area.is_not(None))
        .group_by(Entry.area, Entry.kind)
    ).all()
    found: dict[str, dict[str, int]] = {}
    for area, kind, count in rows:
        found.setdefault(str(area), {})[kind] = int(count)
    return found


@dataclass(frozen=True)
class AnswerText:
    group_id: int | None
    text: str
    channel: str | None  # where the prompt was posted (a DM or a channel)


def answers_between(
    session: Session, *, team_id: str, start: datetime, end: datetime, limit: int = 2000
) -> list[AnswerText]:
    rows = session.execute(
        select(MeetingAnswer.group_id, MeetingAnswer.text, MeetingPrompt.channel)
        .join(MeetingPrompt, MeetingPrompt.id == MeetingAnswer.prompt_id)
        .where(MeetingAnswer.team_id == team_id, MeetingAnswer.answered_at >= start, MeetingAnswer.answered_at < end)
        .order_by(MeetingAnswer.answered_at.desc())
        .limit(limit)
    ).all()
    return [AnswerText(*row) for row in rows]


@dataclass(frozen=True)
class ActionLine:
    id: int
    title: str
    owner_id: str
    due_date: date


def open_actions_due(
    session: Session, *, team_id: str, first: date, last: date, limit: int
) -> tuple[list[ActionLine], int]:
    """Open items due between `first` and `last` (inclusive), soonest first, and how many in all."""
    where = (
        ActionItem.team_id == team_id,
        ActionItem.status.in_(OPEN_STATUSES),
        ActionItem.due_date >= first,
        ActionItem.due_date <= last,
    )
    total = int(session.scalar(select(func.count()).where(*where)) or 0)
    rows = session.execute(
        select(ActionItem.id, ActionItem.title, ActionItem.owner_id, ActionItem.due_date)
        .where(*where)
        .order_by(ActionItem.due_date, ActionItem.id)
        .limit(limit)
    ).all()
    return [ActionLine(*row) for row in rows], total


def contributors(session: Session, *, team_id: str, start: datetime, end: datetime) -> dict[str, set[str]]:
    """Who did what in the range: logged a proud or a sorry, added a root cause, closed an item,
    answered a meeting's question."""
    found: dict[str, set[str]] = {}
    for kind, author in session.execute(
        select(Entry.kind, Entry.author_id)
        .where(Entry.team_id == team_id, Entry.created_at >= start, Entry.created_at < end)
        .distinct()
    ).all():
        found.setdefault(str(author), set()).add(kind)
    for (by,) in session.execute(
        select(Entry.root_cause_by)
        .where(
            Entry.team_id == team_id,
            Entry.root_cause_at >= start,
            Entry.root_cause_at < end,
            Entry.root_cause_by.is_not(None),
        )
        .distinct()
    ).all():
        found.setdefault(str(by), set()).add("root cause")
    for (by,) in session.execute(
        select(ActionEvent.by)
        .where(
            ActionEvent.team_id == team_id,
            ActionEvent.at >= start,
            ActionEvent.at < end,
            ActionEvent.kind == "status",
            ActionEvent.new_value == ActionStatus.DONE.value,
        )
        .distinct()
    ).all():
        found.setdefault(str(by), set()).add("done")
    for (by,) in session.execute(
        select(MeetingAnswer.answered_by)
        .where(MeetingAnswer.team_id == team_id, MeetingAnswer.answered_at >= start, MeetingAnswer.answered_at < end)
        .distinct()
    ).all():
        found.setdefault(str(by), set()).add("answer")
    for (by,) in session.execute(
        select(ActionEvent.by)
        .where(ActionEvent.team_id == team_id, ActionEvent.at >= start, ActionEvent.at < end)
        .distinct()
    ).all():
        if by and str(by) not in found:
            # created, rescheduled, handed over or noted an action item: taking part too (`participants`), so
            # the thanks name everyone the participation line counts
            found[str(by)] = {"action"}
    return found


def groups_answered(session: Session, *, team_id: str, start: datetime, end: datetime) -> set[int]:
    rows = session.execute(
        select(MeetingAnswer.group_id)
        .where(
            MeetingAnswer.team_id == team_id,
            MeetingAnswer.answered_at >= start,
            MeetingAnswer.answered_at < end,
            MeetingAnswer.group_id.is_not(None),
        )
        .distinct()
    ).all()
    return {int(group_id) for (group_id,) in rows if group_id is not None}
