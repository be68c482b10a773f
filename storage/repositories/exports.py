"""Reading everything out for `mindset-bot export`: streamed in batches, related rows loaded per batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import (
    ActionEvent,
    ActionItem,
    CustomerGroup,
    Entry,
    Future,
    LeadReview,
    MeetingAnswer,
    MeetingPrompt,
    RootCauseRevision,
)


def count_records(
    session: Session, *, section: str, since: datetime | None, team_id: str | None, kinds: Sequence[str] = ()
) -> int:
    """How many records an export of `section` (entries, actions, meeting_answers, lead_reviews or futures) will
    write (progress)."""
    model, moment, team = {
        "entries": (Entry, Entry.created_at, Entry.team_id),
        "actions": (ActionItem, ActionItem.created_at, ActionItem.team_id),
        "meeting_answers": (MeetingAnswer, MeetingAnswer.answered_at, MeetingAnswer.team_id),
        "lead_reviews": (LeadReview, LeadReview.created_at, LeadReview.team_id),
        "futures": (Future, Future.created_at, Future.team_id),
    }[section]
    query = select(func.count()).select_from(model)
    if section == "entries":
        query = query.where(Entry.kind.in_(list(kinds)))
    if since is not None:
        query = query.where(moment >= since)
    if team_id is not None:
        query = query.where(team == team_id)
    return int(session.scalar(query) or 0)


@dataclass(frozen=True)
class ActionWithHistory:
    """An action item (its people and groups loaded) and its events, oldest first."""

    item: ActionItem
    events: Sequence[ActionEvent]


def iter_actions(
    session: Session,
    *,
    since: datetime | None = None,
    team_id: str | None = None,
    owner_id: str | None = None,
    batch_size: int = 500,
) -> Iterator[ActionWithHistory]:
    """Action items in creation order, streamed `batch_size` at a time.

    People and groups come with each batch (their relationships load by `selectin`); the history of a
    whole batch is one more query, so the number of queries grows with the batches, not the items.
    """
    query = select(ActionItem)
    if since is not None:
        query = query.where(ActionItem.created_at >= since)
    if team_id is not None:
        query = query.where(ActionItem.team_id == team_id)
    if owner_id is not None:
        query = query.where(ActionItem.owner_id == owner_id)
    query = query.order_by(ActionItem.created_at, ActionItem.id).execution_options(yield_per=batch_size)
    for batch in session.scalars(query).partitions():
        history: dict[int, list[ActionEvent]] = {item.id: [] for item in batch}
        events = session.scalars(
            select(ActionEvent)
            .where(ActionEvent.action_id.in_(list(history)))
            .order_by(ActionEvent.action_id, ActionEvent.at, ActionEvent.id)
        )
        for event in events:
            history[event.action_id].append(event)
        for item in batch:
            yield ActionWithHistory(item, history[item.id])


def iter_lead_reviews(
    session: Session, *, since: datetime | None = None, team_id: str | None = None, batch_size: int = 1000
) -> Iterator[LeadReview]:
    """Quarterly reviews with one's lead, in the order they came, streamed `batch_size` at a time."""
    query = select(LeadReview)
    if since is not None:
        query = query.where(LeadReview.created_at >= since)
    if team_id is not None:
        query = query.where(LeadReview.team_id == team_id)
    yield from session.scalars(
        query.order_by(LeadReview.created_at, LeadReview.id).execution_options(yield_per=batch_size)
    )


@dataclass(frozen=True)
class AnswerRow:
    """A meeting answer with what its prompt and customer group say about it."""

    id: int
    team_id: str
    answered_at: datetime
    meeting_id: int | None  # None for `/meeting now`
    prompt_title: str
    occurrence_date: date | None
    subject: str  # "group:<id>", "outside" or "team"
    group_name: str | None
    text: str
    answered_by: str


def iter_meeting_answers(
    session: Session,
    *,
    since: datetime | None = None,
    team_id: str | None = None,
    answered_by: str | None = None,
    batch_size: int = 1000,
) -> Iterator[AnswerRow]:
    """Meeting answers in the order they were (last) given, with their prompt and group, in one query."""
    query = (
        select(
            MeetingAnswer.id,
            MeetingAnswer.team_id,
            MeetingAnswer.answered_at,
            MeetingPrompt.meeting_id,
            MeetingPrompt.title,
            MeetingPrompt.occurrence_date,
            MeetingAnswer.subject,
            CustomerGroup.name,
            MeetingAnswer.text,
            MeetingAnswer.answered_by,
        )
        .join(MeetingPrompt, MeetingPrompt.id == MeetingAnswer.prompt_id)
        .outerjoin(CustomerGroup, CustomerGroup.id == MeetingAnswer.group_id)
    )
    if since is not None:
        query = query.where(MeetingAnswer.answered_at >= since)
    if team_id is not None:
        query = query.where(MeetingAnswer.team_id == team_id)
    if answered_by is not None:
        query = query.where(MeetingAnswer.answered_by == answered_by)
    query = query.order_by(MeetingAnswer.answered_at, MeetingAnswer.id).execution_options(yield_per=batch_size)
    for answer_id, team, answered_at, meeting_id, title, day, subject, group_name, text, by in session.execute(query):
        yield AnswerRow(answer_id, team, answered_at, meeting_id, title, day, subject, group_name, text, by)


def root_causes_by(session: Session, *, team_id: str, user_id: str) -> list[tuple[int, str, datetime | None]]:
    """(entry id, root cause, when) of the root causes a person wrote, on anyone's sorries: the current ones
    and those since replaced by someone else's."""
    rows = session.execute(
        select(Entry.id, Entry.root_cause, Entry.root_cause_at)
        .where(Entry.team_id == team_id, Entry.root_cause_by == user_id, Entry.root_cause.is_not(None))
        .order_by(Entry.id)
    ).all()
    earlier = session.execute(
        select(RootCauseRevision.entry_id, RootCauseRevision.text, RootCauseRevision.written_at)
        .join(Entry, Entry.id == RootCauseRevision.entry_id)
        .where(Entry.team_id == team_id, RootCauseRevision.written_by == user_id)
        .order_by(RootCauseRevision.id)
    ).all()
    found = [(entry_id, str(text), at) for entry_id, text, at in [*rows, *earlier]]
    return sorted(found, key=lambda row: row[0])


def notes_by(session: Session, *, team_id: str, user_id: str) -> list[tuple[int, str, datetime]]:
    """(action item id, note, when) of the progress notes a person wrote, on anyone's action items."""
    rows = session.execute(
        select(ActionEvent.action_id, ActionEvent.note, ActionEvent.at)
        .where(ActionEvent.team_id == team_id, ActionEvent.by == user_id, ActionEvent.kind == "note")
        .order_by(ActionEvent.at, ActionEvent.id)
    ).all()
    return [(action_id, str(note or ""), at) for action_id, note, at in rows]
