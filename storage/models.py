"""Typed SQLAlchemy models. Every row belongs to a workspace (`team_id`)."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.token_cipher import SEALED_LENGTH
from storage.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TEAM_ID = String(32)
USER_ID = String(32)
CHANNEL_ID = String(32)
# an entry the bot has neither posted nor been refused: the condition of a partial index
UNPOSTED = text("message_ts IS NULL AND post_error IS NULL")
# the sorries the engine may nudge about a root cause, and the meetings it may prompt: partial indexes'
# conditions, written out so that SQLite matches them to the queries that repeat them
SORRY_WITHOUT_CAUSE = text("kind = 'sorry' AND root_cause IS NULL")
UNREVIEWED = text("reviewed_at IS NULL")
MEETING_ACTIVE = text("deleted_at IS NULL AND NOT paused")
AMBASSADOR_ACTIVE = text("left_at IS NULL")
FUTURE_CONFIRMED = text("confirmed_at IS NOT NULL")


# the longest name of a stage of the customer journey (JourneyStage)
STAGE_NAME_MAX = 40


# SQLite: ids of deleted rows are never handed out again (AUTOINCREMENT), for the tables whose ids buttons carry:
# a stale button must not act on a newer row (migration 0015). PostgreSQL's sequences never reuse an id.
NEVER_REUSED: dict[str, Any] = {"sqlite_autoincrement": True}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class EntryKind(StrEnum):
    PROUD = "proud"
    SORRY = "sorry"


class Area(StrEnum):
    """The four areas where customer focus breaks (see DOMAIN.md)."""

    PRODUCTS = "products"
    OPERATIONS = "operations"
    ORGANISATION = "organisation"
    PEOPLE = "people"

    @property
    def label(self) -> str:
        return AREA_LABELS[self]


AREA_LABELS: dict[Area, str] = {
    Area.PRODUCTS: "Products and services",
    Area.OPERATIONS: "Operations",
    Area.ORGANISATION: "Organisation and culture",
    Area.PEOPLE: "People",
}


class CustomerGroup(Base):
    __tablename__ = "customer_groups"
    __table_args__ = (UniqueConstraint("team_id", "name_key", name="uq_customer_groups_team_name"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    name: Mapped[str] = mapped_column(String(75))
    # casefolded name: "Small clinics" and "small CLINICS" are the same group
    name_key: Mapped[str] = mapped_column(String(75))
    created_by: Mapped[str] = mapped_column(USER_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class EntryCustomerGroup(Base):
    """A customer group an entry is tagged with. The entry's workspace, author, kind and moment are copied onto
    it by the database (migration 0024's triggers, on insert and whenever the entry's change): code gives only
    the two ids, and the dashboard counts a quarter's tags through one index, without joining the entries."""

    __tablename__ = "entry_customer_groups"
    __table_args__ = (
        Index("ix_entry_customer_groups_team_created", "team_id", "created_at", "group_id", "author_id", "kind"),
    )

    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # copies of the entry's, written by the database's triggers (never set them here)
    team_id: Mapped[str | None] = mapped_column(TEAM_ID, default=None)
    author_id: Mapped[str | None] = mapped_column(USER_ID, default=None)
    kind: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


HAS_STAGE = text("stage IS NOT NULL")


class Entry(Base):
    """A proud or a sorry."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key", name="uq_entries_team_idempotency"),
        Index("ix_entries_team_created", "team_id", "created_at"),
        Index("ix_entries_team_author_created", "team_id", "author_id", "created_at"),
        # the digest: who added a root cause in a week
        Index("ix_entries_team_root_cause", "team_id", "root_cause_at"),
        # the dashboard's filters: the channels and journey stages a workspace's entries have, found by skipping
        # from one to the next (storage/repositories/dashboard.py)
        Index("ix_entries_team_channel", "team_id", "channel_id"),
        Index("ix_entries_team_stage", "team_id", "stage", sqlite_where=HAS_STAGE, postgresql_where=HAS_STAGE),
        # the engine: entries neither posted nor refused (a post lost to a crash or to Slack), by age
        Index("ix_entries_unposted", "created_at", sqlite_where=UNPOSTED, postgresql_where=UNPOSTED),
        # the engine: sorries without a root cause whose nudge it should look at again by now
        Index(
            "ix_entries_cause_check",
            "cause_check_at",
            sqlite_where=SORRY_WITHOUT_CAUSE,
            postgresql_where=SORRY_WITHOUT_CAUSE,
        ),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(USER_ID)
    channel_id: Mapped[str] = mapped_column(CHANNEL_ID)
    text: Mapped[str] = mapped_column(Text)
    area: Mapped[str | None] = mapped_column(String(32), default=None)
    # the stage of the customer journey it concerns, by name as it was when chosen (see JourneyStage)
    stage: Mapped[str | None] = mapped_column(String(STAGE_NAME_MAX), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # what made this entry (a slash command's trigger, a modal's view id): a repeat stores nothing new
    idempotency_key: Mapped[str] = mapped_column(String(128))

    root_cause: Mapped[str | None] = mapped_column(Text, default=None)
    root_cause_by: Mapped[str | None] = mapped_column(USER_ID, default=None)
    root_cause_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    # the message the bot posted for this entry, once it did
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    post_error: Mapped[str | None] = mapped_column(String(64), default=None)

    # the Slack message this entry was logged from (message shortcut), if any
    source_channel_id: Mapped[str | None] = mapped_column(CHANNEL_ID, default=None)
    source_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    source_permalink: Mapped[str | None] = mapped_column(String(500), default=None)
    # when the engine next needs to look at this sorry's root-cause nudge (None: at once); see bot/engine/planners.py
    cause_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    groups: Mapped[list[CustomerGroup]] = relationship(
        secondary="entry_customer_groups", order_by="CustomerGroup.name", lazy="selectin"
    )


class RootCauseRevision(Base):
    """An earlier root cause of a sorry, kept when someone wrote a new one: who wrote it, who replaced it."""

    __tablename__ = "root_cause_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    written_by: Mapped[str | None] = mapped_column(USER_ID, default=None)
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    replaced_by: Mapped[str | None] = mapped_column(USER_ID, default=None)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcessedEvent(Base):
    """Events API deliveries already handled, so that Slack's retries have no second effect."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("team_id", "event_id", name="uq_processed_events_team_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    event_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class TimeChange(Base):
    """A person's time changed (their zone, a pause, leaving or coming back) or, without a user, a workspace's
    (working days, hours, holidays): written with the change, read by the engines, which keep when each
    quarterly review falls due and look again at those of whom changed (bot/engine/reviews.py). Read by id;
    the newest `retention.TIME_CHANGES_KEPT` are kept."""

    __tablename__ = "time_changes"
    __table_args__ = (NEVER_REUSED,)  # an engine reads the ids above the last it saw: none is handed out twice

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    user_id: Mapped[str | None] = mapped_column(USER_ID, default=None)


class ActionStatus(StrEnum):
    OPEN = "open"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def closed(self) -> bool:
        return self in (ActionStatus.DONE, ActionStatus.DROPPED)


OPEN_STATUSES = (ActionStatus.OPEN.value, ActionStatus.ON_TRACK.value, ActionStatus.AT_RISK.value)


class ActionSource(StrEnum):
    SORRY = "sorry"
    MEETING = "meeting"
    MANUAL = "manual"


class ActionPerson(Base):
    """People involved in an action item besides its owner."""

    __tablename__ = "action_people"

    action_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(USER_ID, primary_key=True, index=True)


class ActionCustomerGroup(Base):
    __tablename__ = "action_customer_groups"

    action_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ActionItem(Base):
    """A commitment: who will do what, by when, for which customers."""

    __tablename__ = "action_items"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key", name="uq_action_items_team_idempotency"),
        Index("ix_action_items_team_status_due", "team_id", "status", "due_date"),
        Index("ix_action_items_team_owner", "team_id", "owner_id"),
        # the digest counts what was created and closed in a week
        Index("ix_action_items_team_created", "team_id", "created_at"),
        Index("ix_action_items_team_closed", "team_id", "closed_at"),
        # the Success Index looks for first promises in a quarter
        Index("ix_action_items_team_original_due", "team_id", "original_due_date"),
        # the engine: open items whose reminders, or whose owner's weekly check-in, it should look at by now
        Index("ix_action_items_status_nudge_check", "status", "nudge_check_at"),
        Index("ix_action_items_status_checkin_check", "status", "checkin_check_at"),
        # the quarterly review: the owners of the commitments due (first or now) in a quarter, across workspaces
        Index("ix_action_items_due_owner", "due_date", "team_id", "owner_id"),
        Index("ix_action_items_original_due_owner", "original_due_date", "team_id", "owner_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    title: Mapped[str] = mapped_column(String(300))
    desired_outcome: Mapped[str | None] = mapped_column(Text, default=None)
    owner_id: Mapped[str] = mapped_column(USER_ID)
    created_by: Mapped[str] = mapped_column(USER_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_date: Mapped[date] = mapped_column(Date)
    # the first promise, kept so that promises and outcomes can be compared
    original_due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ActionStatus.OPEN.value)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    drop_reason: Mapped[str | None] = mapped_column(Text, default=None)
    area: Mapped[str | None] = mapped_column(String(32), default=None)
    # the stage of the customer journey it works on, by name as it was when chosen (see JourneyStage)
    stage: Mapped[str | None] = mapped_column(String(STAGE_NAME_MAX), default=None)
    source: Mapped[str] = mapped_column(String(16), default=ActionSource.MANUAL.value)
    source_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"), default=None, index=True
    )
    # the meeting answer this item was made from, if any
    source_answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_answers.id", ondelete="SET NULL"), default=None, index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(128))
    # when the engine next needs to look at this item's reminders and at its owner's weekly check-in (None: at
    # once); any change of the item, its owner's time or their workspace's calendar sets them back to None
    nudge_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    checkin_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    people: Mapped[list[ActionPerson]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ActionPerson.user_id"
    )
    groups: Mapped[list[CustomerGroup]] = relationship(
        secondary="action_customer_groups", order_by="CustomerGroup.name", lazy="selectin"
    )

    @property
    def involved_ids(self) -> list[str]:
        return [person.user_id for person in self.people]


class ActionEvent(Base):
    """The history of an action item: status changes, notes, new dates, new owners."""

    __tablename__ = "action_events"
    __table_args__ = (
        Index("ix_action_events_team_at", "team_id", "at"),
        # the Success Index: items moved to a date in a quarter
        Index("ix_action_events_team_kind_new", "team_id", "kind", "new_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(USER_ID)
    kind: Mapped[str] = mapped_column(String(16))  # created, status, note, rescheduled, reassigned
    old_value: Mapped[str | None] = mapped_column(String(64), default=None)
    new_value: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class Person(Base):
    """What the bot knows of a person: their time zone (from users.info) and whether nudges pause."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_people_team_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    user_id: Mapped[str] = mapped_column(USER_ID)
    tz: Mapped[str | None] = mapped_column(String(64), default=None)
    tz_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    paused_until: Mapped[date | None] = mapped_column(Date, default=None)
    deactivated: Mapped[bool] = mapped_column(default=False)
    # the person's role in the Slack workspace (users.info): "owner", "admin" or "member"; None until read
    slack_role: Mapped[str | None] = mapped_column(String(16), default=None)
    role_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Workspace(Base):
    """Per-workspace settings: working days and hours for nudges."""

    __tablename__ = "workspaces"

    team_id: Mapped[str] = mapped_column(TEAM_ID, primary_key=True)
    # ISO weekdays, Monday = 1
    work_days: Mapped[str] = mapped_column(String(20), default="1,2,3,4,5")
    work_start: Mapped[time] = mapped_column(Time, default=time(9, 0))
    work_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    default_tz: Mapped[str] = mapped_column(String(64), default="UTC")
    # the weekly digest: where it is also posted, and when (ISO weekday, local time of each reader)
    digest_channel: Mapped[str | None] = mapped_column(String(32), default=None)
    digest_weekday: Mapped[int] = mapped_column(default=1, server_default="1")
    digest_time: Mapped[time] = mapped_column(Time, default=time(9, 0), server_default="09:00:00")
    # the quarterly pulse: the week of each quarter (1-13) it is asked in, None: off (bot/services/pulse.py)
    pulse_week: Mapped[int | None] = mapped_column(default=None)
    # set when the app is uninstalled (or its tokens revoked): nothing more is sent; the data stays
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class MindsetAdmin(Base):
    """Someone a workspace admin or owner named to change Customer Mindset's workspace settings."""

    __tablename__ = "mindset_admins"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_mindset_admins_team_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    user_id: Mapped[str] = mapped_column(USER_ID)
    added_by: Mapped[str] = mapped_column(USER_ID)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SettingsChange(Base):
    """One change of a workspace setting: who, when, what, from what to what (the newest few are kept)."""

    __tablename__ = "settings_changes"
    __table_args__ = (Index("ix_settings_changes_team_id_desc", "team_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(USER_ID)
    setting: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(String(200), default=None)
    new_value: Mapped[str | None] = mapped_column(String(200), default=None)


class Holiday(Base):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("team_id", "day", name="uq_holidays_team_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(100), default=None)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # due (or waiting for its retry time)
    SENDING = "sending"  # claimed by an engine; a stale claim is taken over after its lease
    SENT = "sent"
    SKIPPED = "skipped"  # no longer relevant when its time came (item closed, person paused)
    FAILED = "failed"  # a permanent error (user deactivated, channel gone), recorded once


class Delivery(Base):
    """One message the bot sends on its own schedule, claimed here before it is sent.

    The unique key (team, kind, subject, recipient, occasion) is what makes every nudge go out once,
    whatever the number of engine processes and restarts.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("team_id", "kind", "subject", "recipient", "occasion", name="uq_deliveries_key"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(32))
    occasion: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)


# -- meetings --------------------------------------------------------------------------------------


class PromptTarget(StrEnum):
    """Where a meeting's opening question goes."""

    OWNER = "owner"  # the owner, by DM
    CHANNEL = "channel"  # the meeting's channel


class Meeting(Base):
    """A registered meeting: when it happens (in its own time zone) and where its prompt goes."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key", name="uq_meetings_team_idempotency"),
        Index("ix_meetings_team_owner", "team_id", "owner_id"),
        # the engine: active meetings whose next prompt it should look at by now
        Index(
            "ix_meetings_prompt_check", "prompt_check_at", sqlite_where=MEETING_ACTIVE, postgresql_where=MEETING_ACTIVE
        ),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    title: Mapped[str] = mapped_column(String(150))
    channel_id: Mapped[str | None] = mapped_column(CHANNEL_ID, default=None)
    owner_id: Mapped[str] = mapped_column(USER_ID)
    repeat: Mapped[str] = mapped_column(String(16))  # bot.meetings.schedule.Repeat
    start_date: Mapped[date] = mapped_column(Date)
    weekdays: Mapped[str] = mapped_column(String(20), default="")  # ISO weekdays, "2,4"
    at_time: Mapped[time] = mapped_column(Time)
    tz: Mapped[str] = mapped_column(String(64))
    lead_minutes: Mapped[int] = mapped_column(default=10)
    prompt_to: Mapped[str] = mapped_column(String(16), default=PromptTarget.OWNER.value)
    paused: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(USER_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    # when the engine next needs to look at this meeting's prompts (None: at once; any edit sets it back)
    prompt_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class MeetingQuestion(Base):
    """A follow-up question of the workspace's library; one is added to each prompt, in turn."""

    __tablename__ = "meeting_questions"
    __table_args__ = (UniqueConstraint("team_id", "text_key", name="uq_meeting_questions_team_text"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID, index=True)
    text: Mapped[str] = mapped_column(String(300))
    text_key: Mapped[str] = mapped_column(String(300))  # casefolded, spaces collapsed
    created_by: Mapped[str | None] = mapped_column(USER_ID, default=None)  # None: shipped with the bot
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class MeetingPrompt(Base):
    """The opening question of one occurrence of a meeting (or of `/meeting now`), as it was sent."""

    __tablename__ = "meeting_prompts"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key", name="uq_meeting_prompts_team_idempotency"),
        Index("ix_meeting_prompts_team_created", "team_id", "created_at"),
        Index("ix_meeting_prompts_team_sent", "team_id", "sent_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), default=None, index=True
    )
    occurrence_date: Mapped[date | None] = mapped_column(Date, default=None)  # local date; None for /meeting now
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    title: Mapped[str] = mapped_column(String(150))
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_questions.id", ondelete="SET NULL"), default=None
    )
    question_text: Mapped[str | None] = mapped_column(String(300), default=None)
    created_by: Mapped[str | None] = mapped_column(USER_ID, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(32), default=None)
    message_ts: Mapped[str | None] = mapped_column(String(32), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # "meeting:<id>:<local date>" for the engine's prompts, "command:<trigger>" for /meeting now
    idempotency_key: Mapped[str] = mapped_column(String(128))


class MeetingAnswer(Base):
    """What a meeting said about one customer group (or those outside any group, or the team)."""

    __tablename__ = "meeting_answers"
    __table_args__ = (
        UniqueConstraint("prompt_id", "subject", name="uq_meeting_answers_prompt_subject"),
        Index("ix_meeting_answers_team_answered", "team_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    prompt_id: Mapped[int] = mapped_column(ForeignKey("meeting_prompts.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(32))  # "group:<id>", "outside" or "team"
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="SET NULL"), default=None, index=True
    )
    text: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[str] = mapped_column(USER_ID)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


# -- ambassadors and the digest -------------------------------------------------------------------


class AmbassadorGroup(Base):
    """The customer groups an ambassador joined for (none: all of them)."""

    __tablename__ = "ambassador_groups"

    ambassador_id: Mapped[int] = mapped_column(ForeignKey("ambassadors.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("customer_groups.id", ondelete="CASCADE"), primary_key=True)


class Ambassador(Base):
    """A person who carries customer focus across teams; they get the weekly digest."""

    __tablename__ = "ambassadors"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", name="uq_ambassadors_team_user"),
        # the engine: current ambassadors whose weekly digest it should look at by now
        Index(
            "ix_ambassadors_digest_check",
            "digest_check_at",
            sqlite_where=AMBASSADOR_ACTIVE,
            postgresql_where=AMBASSADOR_ACTIVE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    user_id: Mapped[str] = mapped_column(USER_ID)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # when the engine next needs to look at this ambassador's digest (None: at once); see storage/repositories/checks
    digest_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    groups: Mapped[list[CustomerGroup]] = relationship(
        secondary="ambassador_groups", order_by="CustomerGroup.name", lazy="selectin"
    )


class Channel(Base):
    """What the bot knows of a channel: whether it is private and, if so, who is in it (for the digest's
    privacy rule: an entry from a private channel is quoted only to its members)."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", name="uq_channels_team_channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    channel_id: Mapped[str] = mapped_column(CHANNEL_ID)
    # None until known; a channel the bot cannot see counts as private
    is_private: Mapped[bool | None] = mapped_column(default=None)
    # space-separated user ids of a private channel's members (None: not known)
    members: Mapped[str | None] = mapped_column(Text, default=None)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


# -- Slack's OAuth: installations and states ------------------------------------------------------
# slack_sdk's SQLAlchemyInstallationStore and SQLAlchemyOAuthStateStore read and write these tables;
# they are declared here, with the very columns slack_sdk declares (tests/test_slack_tables.py holds
# them together), so that our migrations create them and the stores never need create_tables().
# One difference: the token columns are wider, for they hold tokens encrypted (storage/token_cipher.py).

SLACK_INSTALLATIONS = "slack_installations"
SLACK_BOTS = "slack_bots"
SLACK_OAUTH_STATES = "slack_oauth_states"

slack_installations = Table(
    SLACK_INSTALLATIONS,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(SEALED_LENGTH)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(SEALED_LENGTH)),
    Column("bot_token_expires_at", DateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(SEALED_LENGTH)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(SEALED_LENGTH)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(f"{SLACK_INSTALLATIONS}_idx", "client_id", "enterprise_id", "team_id", "user_id", "installed_at"),
)

slack_bots = Table(
    SLACK_BOTS,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(SEALED_LENGTH)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(SEALED_LENGTH)),
    Column("bot_token_expires_at", DateTime),
    Column("is_enterprise_install", Boolean, default=False, nullable=False),
    Column("installed_at", DateTime, nullable=False, default=func.now()),
    Index(f"{SLACK_BOTS}_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    SLACK_OAUTH_STATES,
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)


# -- reviews with one's lead ------------------------------------------------------------------------


class LeadStatus(StrEnum):
    PENDING = "pending"  # named by the report, not answered by the lead yet
    ACTIVE = "active"  # accepted by the lead


class LeadLink(Base):
    """A person (`report_id`) and the lead they named: active once the lead accepted. One lead per person."""

    __tablename__ = "lead_links"
    __table_args__ = (
        UniqueConstraint("team_id", "report_id", name="uq_lead_links_team_report"),
        Index("ix_lead_links_team_lead", "team_id", "lead_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    report_id: Mapped[str] = mapped_column(USER_ID)
    lead_id: Mapped[str] = mapped_column(USER_ID)
    status: Mapped[str] = mapped_column(String(16), default=LeadStatus.PENDING.value)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class LeadReview(Base):
    """A quarter's review of a report's commitments with their lead: each one's note, and whether it was done."""

    __tablename__ = "lead_reviews"
    __table_args__ = (
        UniqueConstraint("team_id", "lead_id", "report_id", "year", "quarter", name="uq_lead_reviews_key"),
        Index("ix_lead_reviews_team_report", "team_id", "report_id"),
        # the engine's weekly nudges: the reviews not marked reviewed, by when they came
        Index("ix_lead_reviews_unreviewed", "created_at", sqlite_where=UNREVIEWED, postgresql_where=UNREVIEWED),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    lead_id: Mapped[str] = mapped_column(USER_ID)
    report_id: Mapped[str] = mapped_column(USER_ID)
    year: Mapped[int] = mapped_column()
    quarter: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lead_note: Mapped[str | None] = mapped_column(Text, default=None)
    lead_note_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    report_note: Mapped[str | None] = mapped_column(Text, default=None)
    report_note_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reviewed_by: Mapped[str | None] = mapped_column(USER_ID, default=None)


class JourneyStage(Base):
    """One stage of a workspace's customer journey, in order (`position` from 0): the workspace's own journey
    (`group_id` None) or a customer group's, where it differs. A workspace with no rows of its own has the
    default journey (bot/journey.py); entries and action items keep a stage's name, not its id, so that an
    edited journey leaves them as they were."""

    __tablename__ = "journey_stages"
    __table_args__ = (Index("ix_journey_stages_team_group", "team_id", "group_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("customer_groups.id", ondelete="CASCADE"), default=None, index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(STAGE_NAME_MAX))


# -- ideal futures and the common future ------------------------------------------------------------


class Future(Base):
    """An ideal future scenario someone proposed for a customer group ("In 2028 a clinic onboards itself in a
    day"); the workspace's admins confirm at most one per group as its common future."""

    __tablename__ = "futures"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key", name="uq_futures_team_idempotency"),
        Index("ix_futures_team_group", "team_id", "group_id"),
        Index("ix_futures_team_author", "team_id", "author_id"),
        # one common future per customer group: confirming another takes the confirmation from the first
        Index(
            "uq_futures_confirmed_group",
            "team_id",
            "group_id",
            unique=True,
            sqlite_where=FUTURE_CONFIRMED,
            postgresql_where=FUTURE_CONFIRMED,
        ),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    group_id: Mapped[int] = mapped_column(ForeignKey("customer_groups.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # None once the author was forgotten (a confirmed future stays, as the workspace's, without them)
    author_id: Mapped[str | None] = mapped_column(USER_ID, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str] = mapped_column(String(128))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    confirmed_by: Mapped[str | None] = mapped_column(USER_ID, default=None)


class FutureEndorsement(Base):
    """A person's endorsement of a proposed future: one per person and future."""

    __tablename__ = "future_endorsements"
    __table_args__ = (Index("ix_future_endorsements_team_user", "team_id", "user_id"),)

    future_id: Mapped[int] = mapped_column(ForeignKey("futures.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(USER_ID, primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ActionFuture(Base):
    """The common future an action item serves (at most one per item)."""

    __tablename__ = "action_futures"

    action_id: Mapped[int] = mapped_column(ForeignKey("action_items.id", ondelete="CASCADE"), primary_key=True)
    future_id: Mapped[int] = mapped_column(ForeignKey("futures.id", ondelete="CASCADE"), index=True)


# -- the pulse on what works --------------------------------------------------------------------------


class PulseResponse(Base):
    """That a person answered a quarter's pulse (once per person and quarter), and nothing of what they answered:
    the answer itself is a `PulseAnswer` with no person in it and no time, so neither can be matched to the other."""

    __tablename__ = "pulse_responses"
    # no row id: SQLite keeps the rows in key order, not in the order they came (which the answers' would match)
    __table_args__ = ({"sqlite_with_rowid": False},)

    team_id: Mapped[str] = mapped_column(TEAM_ID, primary_key=True)
    user_id: Mapped[str] = mapped_column(USER_ID, primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[int] = mapped_column(primary_key=True)


class PulseAnswer(Base):
    """One anonymous answer to a quarter's pulse: a score 1-5 per practice (None: not rated) and what would make
    it work better (mentions of people taken out). Its id is random, it holds no person and no time."""

    __tablename__ = "pulse_answers"
    __table_args__ = (
        Index("ix_pulse_answers_team_quarter", "team_id", "year", "quarter"),
        {"sqlite_with_rowid": False},  # kept in the order of their random ids, not in the order they came
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    year: Mapped[int] = mapped_column()
    quarter: Mapped[int] = mapped_column()
    prouds_sorries: Mapped[int | None] = mapped_column(default=None)
    root_causes: Mapped[int | None] = mapped_column(default=None)
    meeting_question: Mapped[int | None] = mapped_column(default=None)
    commitments: Mapped[int | None] = mapped_column(default=None)
    digest: Mapped[int | None] = mapped_column(default=None)
    better: Mapped[str | None] = mapped_column(Text, default=None)


class DashboardFigures(Base):
    """The habit-health figures of one complete week or calendar quarter of a workspace, as counted in one time
    zone (a viewer's): kept so that the dashboard counts a year of entries once, not at every request.

    Never stale: triggers on `entries` and `entry_customer_groups` (migration 0023) delete the rows of every
    range that holds an entry as it is written, edited, tagged, forgotten or deleted, whatever code does it.
    A row is first claimed (`figures` NULL, `claim` a random token) and committed, then counted, then filled
    only if still claimed by the same token: a change made meanwhile deletes the claim, and the figures
    counted are shown but not kept (bot/dashboard/figures_kept.py)."""

    __tablename__ = "dashboard_figures"
    __table_args__ = (
        UniqueConstraint("team_id", "zone", "unit", "starts_at", name="uq_dashboard_figures_range"),
        # the triggers: the ranges of a workspace that hold a moment
        Index("ix_dashboard_figures_team_starts", "team_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(TEAM_ID)
    zone: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(8))  # "week" or "quarter"
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claim: Mapped[str] = mapped_column(String(32))
    figures: Mapped[str | None] = mapped_column(Text, default=None)  # JSON; None while being counted
    counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
