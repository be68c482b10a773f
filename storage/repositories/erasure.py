"""Deleting data for good: a whole workspace (`mindset-bot purge`), or one person (`/mindset forget me`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import (
    OPEN_STATUSES,
    ActionEvent,
    ActionFuture,
    ActionItem,
    ActionPerson,
    Ambassador,
    Channel,
    CustomerGroup,
    DashboardFigures,
    Delivery,
    DeliveryStatus,
    Entry,
    Future,
    FutureEndorsement,
    Holiday,
    JourneyStage,
    LeadLink,
    LeadReview,
    Meeting,
    MeetingAnswer,
    MeetingPrompt,
    MeetingQuestion,
    MindsetAdmin,
    Person,
    ProcessedEvent,
    PulseAnswer,
    PulseResponse,
    RootCauseRevision,
    SettingsChange,
    TimeChange,
    Workspace,
    slack_bots,
    slack_installations,
)
from storage.repositories import futures as futures_repo
from storage.repositories.pulse import PULSE_KIND

FORGOTTEN = "forgotten"  # stands in for a forgotten person in the history of others' items
FUTURE_FORGOTTEN = "(a future since deleted with its author's data)"  # a confirmation's text, once the future went

# children first, so that no foreign key is left dangling on either backend
_TEAM_MODELS = (
    MeetingAnswer,
    ActionItem,  # its people, groups and events go with it (ON DELETE CASCADE)
    MeetingPrompt,
    Meeting,
    MeetingQuestion,
    DashboardFigures,  # before the entries, whose triggers would delete the rows of their weeks one by one
    Entry,  # its group tags go with it
    Ambassador,  # its groups go with it
    LeadReview,
    LeadLink,
    JourneyStage,  # before the groups whose journeys they are
    FutureEndorsement,
    Future,  # the action items' links to it went with them
    PulseResponse,
    PulseAnswer,
    CustomerGroup,
    Delivery,
    ProcessedEvent,
    TimeChange,
    Person,
    MindsetAdmin,
    SettingsChange,
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
class HandBack:
    """An item the person owns that others share: it goes to `to` (its creator, else the first person involved)."""

    action_id: int
    title: str
    to: str
    is_open: bool
    to_creator: bool  # False: to the first person involved


@dataclass(frozen=True)
class PersonRows:
    entries: int
    answers: int
    items_deleted: int  # items they own that no one else created or is involved in
    handed_back: tuple[HandBack, ...]
    involved_in: int  # others' items they are involved in (they leave them)
    lead_reviews: int = 0  # quarterly reviews with their lead or their reports (both notes go)
    futures_deleted: int = 0  # ideal futures they proposed that are deleted (with others' endorsements of them)
    futures_kept: int = 0  # ones they proposed that are a common future or served by action items: kept, nameless
    endorsements: int = 0  # their endorsements of futures
    pulses_answered: int = 0  # the quarters whose pulse they answered (the record of it; the answers stay)

    @property
    def action_items(self) -> int:
        """Every item they own, deleted or handed back."""
        return self.items_deleted + len(self.handed_back)


@dataclass(frozen=True)
class Forgotten:
    posted: list[PostedEntry]
    handed_back: tuple[HandBack, ...]


def _new_owner(item: ActionItem, user_id: str) -> str | None:
    if item.created_by not in (user_id, FORGOTTEN):
        return item.created_by
    others = [person for person in item.involved_ids if person not in (user_id, FORGOTTEN)]
    return others[0] if others else None


def _owned(session: Session, *, team_id: str, user_id: str) -> list[ActionItem]:
    return list(
        session.scalars(
            select(ActionItem)
            .where(ActionItem.team_id == team_id, ActionItem.owner_id == user_id)
            .order_by(ActionItem.due_date, ActionItem.id)
        )
    )


def _hand_backs(items: list[ActionItem], user_id: str) -> tuple[HandBack, ...]:
    found = []
    for item in items:
        to = _new_owner(item, user_id)
        if to is not None:
            found.append(HandBack(item.id, item.title, to, item.status in OPEN_STATUSES, to == item.created_by))
    return tuple(found)


def person_rows(session: Session, *, team_id: str, user_id: str) -> PersonRows:
    def count(model: type, *where: object) -> int:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)  # type: ignore[arg-type]

    owned = _owned(session, team_id=team_id, user_id=user_id)
    handed = _hand_backs(owned, user_id)
    team_items = select(ActionItem.id).where(ActionItem.team_id == team_id, ActionItem.owner_id != user_id)
    return PersonRows(
        entries=count(Entry, Entry.team_id == team_id, Entry.author_id == user_id),
        answers=count(MeetingAnswer, MeetingAnswer.team_id == team_id, MeetingAnswer.answered_by == user_id),
        items_deleted=len(owned) - len(handed),
        handed_back=handed,
        involved_in=count(ActionPerson, ActionPerson.user_id == user_id, ActionPerson.action_id.in_(team_items)),
        lead_reviews=count(
            LeadReview,
            LeadReview.team_id == team_id,
            or_(LeadReview.lead_id == user_id, LeadReview.report_id == user_id),
        ),
        futures_deleted=count(Future, Future.team_id == team_id, Future.author_id == user_id, ~_kept_future()),
        futures_kept=count(Future, Future.team_id == team_id, Future.author_id == user_id, _kept_future()),
        endorsements=count(
            FutureEndorsement, FutureEndorsement.team_id == team_id, FutureEndorsement.user_id == user_id
        ),
        pulses_answered=count(PulseResponse, PulseResponse.team_id == team_id, PulseResponse.user_id == user_id),
    )


def _kept_future() -> ColumnElement[bool]:
    """A future the workspace adopted: its common future now, or one action items serve. Forgetting its author
    keeps its text without their name; any other future of theirs is deleted."""
    return or_(Future.confirmed_at.is_not(None), Future.id.in_(select(ActionFuture.future_id)))


def _hand_back(session: Session, *, items: list[ActionItem], user_id: str, now: datetime) -> tuple[HandBack, ...]:
    """Give each shared item the person owns to its creator (or the first person involved), in its history
    as a hand-over by the forgotten person; delete the items that were theirs alone."""
    handed = _hand_backs(items, user_id)
    by_id = {back.action_id: back for back in handed}
    for item in items:
        back = by_id.get(item.id)
        if back is None:
            session.delete(item)
            continue
        item.owner_id = back.to
        item.people = [person for person in item.people if person.user_id not in (back.to, user_id)]
        session.add(
            ActionEvent(
                action_id=item.id,
                team_id=item.team_id,
                at=now,
                by=FORGOTTEN,
                kind="reassigned",
                old_value=FORGOTTEN,
                new_value=back.to,
            )
        )
    session.flush()
    return handed


def forget_person(session: Session, *, team_id: str, user_id: str, now: datetime) -> Forgotten:
    """Delete what the person wrote and owns alone, and their trace in the rest.

    Gone: their prouds and sorries, their meeting answers, the action items they own that no one else
    created or is involved in, the meetings they own (deleted, so no more questions are sent them),
    their place among the people involved in others' items, their ambassadorship, their links with their lead
    and with those who named them lead and their quarterly reviews with them (notes included), their endorsements
    of ideal futures and the futures they proposed (others' endorsements of them too), except a future the
    workspace adopted (a group's common future, or one action items serve: it stays, without their name), what
    the bot kept of them (time zone, pause, role) and the messages planned for them. An item they own that someone else
    created goes back to its creator; one they created with others involved, to the first of those (the
    caller tells them). In shared records (a root cause they added to someone's sorry, a change or
    hand-over in someone's item, a customer group, question or meeting they created, a settings change)
    their id is replaced.
    Returns where the bot had posted their entries, so those messages can be deleted too, and the items
    handed back.
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
    handed = _hand_back(session, items=_owned(session, team_id=team_id, user_id=user_id), user_id=user_id, now=now)
    team_items = select(ActionItem.id).where(ActionItem.team_id == team_id)
    session.execute(delete(ActionPerson).where(ActionPerson.user_id == user_id, ActionPerson.action_id.in_(team_items)))
    _replace_person(session, team_id, user_id, ActionItem.created_by, ActionEvent.by)
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
    _replace_person(
        session,
        team_id,
        user_id,
        Meeting.created_by,
        CustomerGroup.created_by,
        MeetingQuestion.created_by,
        MeetingPrompt.created_by,
    )
    session.execute(
        update(Entry).where(Entry.team_id == team_id, Entry.root_cause_by == user_id).values(root_cause_by=None)
    )
    session.execute(delete(MindsetAdmin).where(MindsetAdmin.team_id == team_id, MindsetAdmin.user_id == user_id))
    _replace_person(session, team_id, user_id, MindsetAdmin.added_by, SettingsChange.by)
    for column in (SettingsChange.old_value, SettingsChange.new_value):  # naming admins names the people
        session.execute(
            update(SettingsChange)
            .where(
                SettingsChange.team_id == team_id,
                SettingsChange.setting.in_(["admin_added", "admin_removed"]),
                column == user_id,
            )
            .values({column.key: FORGOTTEN})
        )
    of_team = RootCauseRevision.entry_id.in_(select(Entry.id).where(Entry.team_id == team_id))
    for column in (RootCauseRevision.written_by, RootCauseRevision.replaced_by):
        session.execute(update(RootCauseRevision).where(of_team, column == user_id).values({column: None}))
    session.execute(delete(Ambassador).where(Ambassador.team_id == team_id, Ambassador.user_id == user_id))
    # ideal futures: their endorsements go; what they proposed goes too (others' endorsements of it with it),
    # unless the workspace adopted it (its common future, or action items serve it): then it stays, nameless
    session.execute(
        delete(FutureEndorsement).where(FutureEndorsement.team_id == team_id, FutureEndorsement.user_id == user_id)
    )
    going = select(Future.text).where(Future.team_id == team_id, Future.author_id == user_id, ~_kept_future())
    texts = {futures_repo.confirmation_text(text) for text in session.scalars(going)}
    if texts:  # a confirmation of one of them, since replaced, keeps the group and forgets the text
        session.execute(
            update(SettingsChange)
            .where(
                SettingsChange.team_id == team_id,
                SettingsChange.setting == "future_confirmed",
                SettingsChange.new_value.in_(sorted(texts)),
            )
            .values(new_value=FUTURE_FORGOTTEN)
        )
    session.execute(delete(Future).where(Future.team_id == team_id, Future.author_id == user_id, ~_kept_future()))
    session.execute(update(Future).where(Future.team_id == team_id, Future.author_id == user_id).values(author_id=None))
    session.execute(
        update(Future).where(Future.team_id == team_id, Future.confirmed_by == user_id).values(confirmed_by=None)
    )
    # their lead, the people who named them lead, and their quarterly reviews with both (each one's notes)
    for model, columns in (
        (LeadLink, (LeadLink.lead_id, LeadLink.report_id)),
        (LeadReview, (LeadReview.lead_id, LeadReview.report_id)),
    ):
        session.execute(delete(model).where(model.team_id == team_id, or_(*(column == user_id for column in columns))))
    # that they answered a quarter's pulse; the anonymous answers stay: no row links them to anyone, so they
    # were never theirs to find (only a workspace's aggregates are ever shown)
    session.execute(delete(PulseResponse).where(PulseResponse.team_id == team_id, PulseResponse.user_id == user_id))
    # and the pulses sent them no longer take an answer from them (without the record, a second one would count)
    session.execute(
        update(Delivery)
        .where(Delivery.team_id == team_id, Delivery.recipient == user_id, Delivery.kind == PULSE_KIND)
        .values(status=DeliveryStatus.SKIPPED.value, last_error="person forgotten")
    )
    session.execute(delete(Person).where(Person.team_id == team_id, Person.user_id == user_id))
    session.execute(delete(TimeChange).where(TimeChange.team_id == team_id, TimeChange.user_id == user_id))
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
    return Forgotten(posted, handed)


def _replace_person(
    session: Session,
    team_id: str,
    user_id: str,
    *columns: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
) -> None:
    """In others' records the person's id in each of these columns becomes FORGOTTEN (who created, changed,
    named someone); every model has `team_id`."""
    for column in columns:
        model = column.class_
        session.execute(
            update(model).where(model.team_id == team_id, column == user_id).values({column.key: FORGOTTEN})
        )
