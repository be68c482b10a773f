"""Deleting data for good: a whole workspace (`mindset-bot purge`), or one person (`/mindset forget me`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import (
    ActionEvent,
    ActionItem,
    ActionPerson,
    Ambassador,
    Channel,
    CustomerGroup,
    Delivery,
    DeliveryStatus,
    Entry,
    Holiday,
    Meeting,
    MeetingAnswer,
    MeetingPrompt,
    MeetingQuestion,
    Person,
    ProcessedEvent,
    Workspace,
    slack_bots,
    slack_installations,
)

FORGOTTEN = "forgotten"  # stands in for a forgotten person in the history of others' items

# children first, so that no foreign key is left dangling on either backend
_TEAM_MODELS = (
    MeetingAnswer,
    ActionItem,  # its people, groups and events go with it (ON DELETE CASCADE)
    MeetingPrompt,
    Meeting,
    MeetingQuestion,
    Entry,  # its group tags go with it
    Ambassador,  # its groups go with it
    CustomerGroup,
    Delivery,
    ProcessedEvent,
    Person,
    Holiday,
    Channel,
    Workspace,
)
_TEAM_TABLES: tuple[Table, ...] = (slack_installations, slack_bots)


def purge_team(session: Session, *, team_id: str, on_table: Callable[[str], None] | None = None) -> dict[str, int]:
    """Delete everything of one workspace; how many rows of each table went. `on_table(name)` after each
    table (progress)."""
    counts: dict[str, int] = {}
    for model in _TEAM_MODELS:
        result = session.execute(delete(model).where(model.team_id == team_id))
        counts[model.__tablename__] = int(getattr(result, "rowcount", 0) or 0)
        if on_table is not None:
            on_table(model.__tablename__)
    for table in _TEAM_TABLES:
        result = session.execute(delete(table).where(table.c.team_id == team_id))
        counts[table.name] = int(getattr(result, "rowcount", 0) or 0)
        if on_table is not None:
            on_table(table.name)
    session.flush()
    return counts


def team_row_counts(session: Session, *, team_id: str) -> dict[str, int]:
    """How many rows each table holds for the workspace (what a purge would delete)."""
    counts = {
        model.__tablename__: int(session.scalar(select(func.count()).where(model.team_id == team_id)) or 0)
        for model in _TEAM_MODELS
    }
    for table in _TEAM_TABLES:
        counts[table.name] = int(session.scalar(select(func.count()).where(table.c.team_id == team_id)) or 0)
    return counts


def team_exists(session: Session, *, team_id: str) -> bool:
    """Whether the database holds anything of the workspace."""
    for model in _TEAM_MODELS:
        if session.scalar(select(model.team_id).where(model.team_id == team_id).limit(1)) is not None:
            return True
    return any(
        session.scalar(select(table.c.team_id).where(table.c.team_id == team_id).limit(1)) is not None
        for table in _TEAM_TABLES
    )


def known_teams(session: Session, *, limit: int = 10) -> list[str]:
    """Some workspaces the database holds (those with settings, people or entries), for a hint."""
    found: set[str] = set()
    for column in (Workspace.team_id, Person.team_id, Entry.team_id, slack_bots.c.team_id):
        found |= {str(team) for team in session.scalars(select(column).distinct().limit(limit)) if team}
    return sorted(found)[:limit]


@dataclass(frozen=True)
class PostedEntry:
    channel_id: str
    message_ts: str


@dataclass(frozen=True)
class PersonRows:
    entries: int
    action_items: int
    answers: int


def person_rows(session: Session, *, team_id: str, user_id: str) -> PersonRows:
    def count(model: type, *where: object) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]

    return PersonRows(
        entries=count(Entry, Entry.team_id == team_id, Entry.author_id == user_id),
        action_items=count(ActionItem, ActionItem.team_id == team_id, ActionItem.owner_id == user_id),
        answers=count(MeetingAnswer, MeetingAnswer.team_id == team_id, MeetingAnswer.answered_by == user_id),
    )


def forget_person(session: Session, *, team_id: str, user_id: str, now: datetime) -> list[PostedEntry]:
    """Delete what the person wrote and owns, and their trace in the rest.

    Gone: their prouds and sorries, their meeting answers, the action items they own, the meetings
    they own (deleted, so no more questions are sent them), their place among the people involved in
    others' items, their ambassadorship, what the bot kept of them (time zone, pause) and the
    messages planned for them. In shared records (a root cause they added to someone's sorry, a
    change or hand-over in someone's item, a customer group, question or meeting they created) their
    id is replaced.
    Returns where the bot had posted their entries, so those messages can be deleted too.
    """
    posted = [
        PostedEntry(channel, ts)
        for channel, ts in session.execute(
            select(Entry.channel_id, Entry.message_ts).where(
                Entry.team_id == team_id, Entry.author_id == user_id, Entry.message_ts.is_not(None)
            )
        ).all()
        if ts
    ]
    session.execute(delete(Entry).where(Entry.team_id == team_id, Entry.author_id == user_id))
    session.execute(delete(MeetingAnswer).where(MeetingAnswer.team_id == team_id, MeetingAnswer.answered_by == user_id))
    session.execute(delete(ActionItem).where(ActionItem.team_id == team_id, ActionItem.owner_id == user_id))
    team_items = select(ActionItem.id).where(ActionItem.team_id == team_id)
    session.execute(delete(ActionPerson).where(ActionPerson.user_id == user_id, ActionPerson.action_id.in_(team_items)))
    session.execute(
        update(ActionItem)
        .where(ActionItem.team_id == team_id, ActionItem.created_by == user_id)
        .values(created_by=FORGOTTEN)
    )
    session.execute(
        update(ActionEvent).where(ActionEvent.team_id == team_id, ActionEvent.by == user_id).values(by=FORGOTTEN)
    )
    for column in (ActionEvent.old_value, ActionEvent.new_value):  # hand-overs name the people
        session.execute(
            update(ActionEvent)
            .where(ActionEvent.team_id == team_id, ActionEvent.kind == "reassigned", column == user_id)
            .values({column.key: FORGOTTEN})
        )
    session.execute(
        update(Meeting)
        .where(Meeting.team_id == team_id, Meeting.owner_id == user_id, Meeting.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    session.execute(
        update(Meeting).where(Meeting.team_id == team_id, Meeting.owner_id == user_id).values(owner_id=FORGOTTEN)
    )
    session.execute(
        update(Meeting).where(Meeting.team_id == team_id, Meeting.created_by == user_id).values(created_by=FORGOTTEN)
    )
    session.execute(
        update(CustomerGroup)
        .where(CustomerGroup.team_id == team_id, CustomerGroup.created_by == user_id)
        .values(created_by=FORGOTTEN)
    )
    session.execute(
        update(MeetingQuestion)
        .where(MeetingQuestion.team_id == team_id, MeetingQuestion.created_by == user_id)
        .values(created_by=FORGOTTEN)
    )
    session.execute(
        update(MeetingPrompt)
        .where(MeetingPrompt.team_id == team_id, MeetingPrompt.created_by == user_id)
        .values(created_by=FORGOTTEN)
    )
    session.execute(
        update(Entry).where(Entry.team_id == team_id, Entry.root_cause_by == user_id).values(root_cause_by=None)
    )
    session.execute(delete(Ambassador).where(Ambassador.team_id == team_id, Ambassador.user_id == user_id))
    session.execute(delete(Person).where(Person.team_id == team_id, Person.user_id == user_id))
    session.execute(
        update(Delivery)
        .where(
            Delivery.team_id == team_id,
            Delivery.recipient == user_id,
            Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]),
        )
        .values(status=DeliveryStatus.SKIPPED.value, last_error="person forgotten")
    )
    session.flush()
    return posted
