"""What is due now, computed from the database: every nudge the engine may send.

A planner returns `Planned` deliveries whose moment has come (`due_at <= now`); the engine records
them under their unique key, so asking again next minute, after a restart or from a second process
plans nothing twice. Occasions are named by local dates (a due date, an ISO week, a quarter), never
by clock times, so daylight-saving changes can neither skip nor double a nudge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select, text, tuple_, union_all, update
from sqlalchemy.orm import Session

from bot.engine import reviews
from bot.engine.digest_planner import digest_channels, digest_readers, plan_digests
from bot.engine.directory import Directory
from bot.engine.memo import once_a_tick
from bot.engine.reviews import LEAD_REVIEW as LEAD_REVIEW
from bot.engine.reviews import LEAD_REVIEW_REPORT as LEAD_REVIEW_REPORT
from bot.engine.reviews import REVIEW as REVIEW
from bot.meetings.schedule import next_occurrence, occasion_key, occurrences, prompt_at
from bot.services.actions import ASSIGNED
from bot.services.meetings import MeetingCard
from bot.worktime import (
    add_working_days,
    iso_week,
    local_date,
    monday_of,
    morning_of,
    next_working_moment,
)
from storage.db import chunks
from storage.models import (
    MEETING_ACTIVE,
    OPEN_STATUSES,
    SORRY_WITHOUT_CAUSE,
    ActionEvent,
    ActionItem,
    Delivery,
    DeliveryStatus,
    Entry,
    LeadReview,
    Meeting,
    PromptTarget,
)
from storage.repositories import checks as checks_repo
from storage.repositories import entries as entries_repo
from storage.repositories.deliveries import Planned
from storage.types import UTCDateTime

log = logging.getLogger("mindset.engine.planners")

MEETING_PROMPT = "meeting_prompt"
REMINDER = "action_reminder"
OVERDUE = "action_overdue"
CHECKIN = "weekly_checkin"
ROOT_CAUSE = "root_cause_nudge"
ENTRY_POST = "entry_post"
ENTRY_NOT_POSTED = "entry_not_posted"
LEAD_NUDGE = "lead_review_nudge"  # to the lead, weekly while not marked reviewed (subject: the review id)
LEAD_NUDGES = 3

REMINDER_DAYS_AHEAD = (7, 1)
CHECKIN_STALE_AFTER = timedelta(days=2)
ROOT_CAUSE_WORKING_DAYS = 2
ROOT_CAUSE_LOOKBACK = timedelta(days=30)
# a live process posts an entry seconds after it is stored; one whose post is still missing this
# much later was lost (the process died, Slack was down), and the engine posts it, unless it is stale
ENTRY_POST_AFTER = timedelta(minutes=10)
ENTRY_POST_STALE_AFTER = timedelta(days=3)
ENTRY_POST_OCCASION = "post"

# when to look again at what a planner read (bot: storage/repositories/checks.py): no local morning of a day
# begins earlier than this before it begins in UTC (UTC+14); whatever is not due sooner is looked at daily;
# a person whose time zone Slack has not told yet, a little later (learning it sets their items back)
EARLIEST_OFFSET = timedelta(hours=14)
LOOK_AT_LEAST_EVERY = timedelta(days=1)
UNKNOWN_LOOK_AGAIN = timedelta(minutes=10)
NEVER = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class Planner:
    """Who needs a known time zone (`people`), which channels' privacy (`channels`), and what is due (`plan`)."""

    name: str
    people: Callable[[Session, datetime], Iterable[tuple[str, str]]]
    plan: Callable[[Session, datetime, Directory], list[Planned]]
    channels: Callable[[Session, datetime], Iterable[tuple[str, str]]] = lambda _session, _now: ()


# -- reminders before and after the due date --------------------------------------------------


def _near_due(now: datetime) -> Select[Any]:
    """The open items whose nudges the planner should look at now (the ids, as a subquery): those it has never
    looked at, and those whose next nudge may have come (`nudge_check_at`, through its own index)."""
    return select(ActionItem.id).where(
        checks_repo.due(ActionItem.nudge_check_at, now, ActionItem.status.in_(OPEN_STATUSES))
    )


def _items_near_due(session: Session, now: datetime) -> list[Any]:
    """(id, team_id, owner_id, due_date, created_at) of the items `_near_due` names (its condition, read
    directly: as `id IN (...)` PostgreSQL would join it to a scan of every item)."""
    return once_a_tick(
        "items",
        now,
        lambda: list(
            session.execute(
                select(
                    ActionItem.id, ActionItem.team_id, ActionItem.owner_id, ActionItem.due_date, ActionItem.created_at
                )
                .where(checks_repo.due(ActionItem.nudge_check_at, now, ActionItem.status.in_(OPEN_STATUSES)))
                .order_by(ActionItem.id)
            ).all()
        ),
    )


def _due_dates_set_at(session: Session, items: list[Any], now: datetime) -> dict[int, datetime]:
    """When each item's current due date was set: its latest move, or its creation. The moves are found by
    the same subquery as the items (a list of their ids would grow with the data, past the 65,535 bound
    parameters psycopg allows in one statement)."""
    moved = session.execute(
        select(ActionEvent.action_id, func.max(ActionEvent.at))
        .where(ActionEvent.action_id.in_(_near_due(now)), ActionEvent.kind == "rescheduled")
        .group_by(ActionEvent.action_id)
    ).all()
    set_at = {item.id: _as_utc(item.created_at) for item in items}
    set_at.update({action_id: _as_utc(at) for action_id, at in moved if at is not None and action_id in set_at})
    return set_at


def _owners_near_due(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    return {(item.team_id, item.owner_id) for item in _items_near_due(session, now)}


def _earliest_morning(day: date) -> datetime:
    """No morning of `day` anywhere begins before this (the first zone, UTC+14, starts its day then)."""
    return datetime.combine(day, datetime.min.time(), UTC) - EARLIEST_OFFSET


def _next_look(now: datetime, *moments: datetime) -> datetime:
    """When to look again: the first of `moments` still to come, and at least daily (a safety net: whatever
    was missed, an item is looked at again within a day)."""
    return min([moment for moment in moments if moment > now] + [now + LOOK_AT_LEAST_EVERY])


def _record_looks(session: Session, column: str, looks: dict[int, datetime]) -> None:
    """Write when each item is to be looked at again, by primary key in one executemany."""
    if looks:
        session.execute(update(ActionItem), [{"id": item_id, column: at} for item_id, at in sorted(looks.items())])


def plan_action_nudges(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """7 and 1 days before the due date; the day after it, then weekly while it stays open.

    Only the latest nudge whose moment has come is planned, so a bot that was down sends one
    current nudge instead of a backlog of stale ones. A reminder whose day came before the due date
    was set (by creating or by moving the item) is not sent: the person has just chosen that date.

    Only the items whose next nudge may have come are read: each item keeps when it is to be looked at
    again (`nudge_check_at`, the moment of its next nudge), so a tick costs what is due, not every open item.
    """
    planned: list[Planned] = []
    looks: dict[int, datetime] = {}
    items = _items_near_due(session, now)
    near = (now + timedelta(days=max(REMINDER_DAYS_AHEAD) + 2)).date()
    far = [item for item in items if item.due_date > near]
    for item in far:  # not near its due date yet: looked at again when its first reminder's day may begin
        looks[item.id] = _earliest_morning(item.due_date - timedelta(days=max(REMINDER_DAYS_AHEAD)))
    items = [item for item in items if item.due_date <= near]
    set_at = _due_dates_set_at(session, items, now) if items else {}
    directory.read_ahead((item.team_id, item.owner_id) for item in items)
    for item in items:
        person = directory.person(item.team_id, item.owner_id)
        if person is None or not person.active:
            # looked at again once their time zone is known or they are back (both set the item back)
            looks[item.id] = now + (UNKNOWN_LOOK_AGAIN if person is None else LOOK_AT_LEAST_EVERY)
            continue
        calendar = directory.calendar(item.team_id)
        today = local_date(now, person.tz)
        due = item.due_date
        date_set_on = local_date(set_at[item.id], person.tz)
        if today <= due:
            best: tuple[datetime, str] | None = None
            moments = [morning_of(due + timedelta(days=1), person.tz, calendar, paused_until=person.paused_until)]
            for days in REMINDER_DAYS_AHEAD:
                day = due - timedelta(days=days)
                if day <= date_set_on:
                    continue
                at = morning_of(day, person.tz, calendar, paused_until=person.paused_until)
                moments.append(at)
                if at <= now and local_date(at, person.tz) <= due and (best is None or at > best[0]):
                    best = (at, f"due-{days}:{due.isoformat()}")
            looks[item.id] = _next_look(now, *moments)
            if best is not None:
                planned.append(Planned(item.team_id, REMINDER, str(item.id), item.owner_id, best[1], best[0]))
            continue
        late = (today - due).days
        number = 1 + (late - 1) // 7
        day = due + timedelta(days=1 + 7 * (number - 1))
        at = morning_of(day, person.tz, calendar, paused_until=person.paused_until)
        following = morning_of(day + timedelta(days=7), person.tz, calendar, paused_until=person.paused_until)
        looks[item.id] = _next_look(now, at, following)
        if at <= now:
            occasion = f"overdue-{number}:{due.isoformat()}"
            planned.append(Planned(item.team_id, OVERDUE, str(item.id), item.owner_id, occasion, at))
    _record_looks(session, "nudge_check_at", looks)
    return planned


# -- the weekly check-in ------------------------------------------------------------------------


def _owners_with_open_items(session: Session, now: datetime) -> list[tuple[str, str, datetime]]:
    """(team, owner, their first open item's creation) of the owners whose check-in the planner should look at
    now: those with an open item never looked at, or whose week's check-in may have come
    (`checkin_check_at`, through its own index). Their first open item is found among all their open items,
    a chunk of owners per query (by their index), and only when there are any."""

    def query() -> list[tuple[str, str, datetime]]:
        due_owners = session.execute(
            select(ActionItem.team_id, ActionItem.owner_id)
            .where(checks_repo.due(ActionItem.checkin_check_at, now, ActionItem.status.in_(OPEN_STATUSES)))
            .distinct()
        ).all()
        found: list[tuple[str, str, datetime]] = []
        for some in chunks(sorted((team, owner) for team, owner in due_owners)):
            rows = session.execute(
                select(ActionItem.team_id, ActionItem.owner_id, func.min(ActionItem.created_at))
                .where(
                    tuple_(ActionItem.team_id, ActionItem.owner_id).in_(list(some)),
                    ActionItem.status.in_(OPEN_STATUSES),
                )
                .group_by(ActionItem.team_id, ActionItem.owner_id)
            ).all()
            found += [(team, owner, first) for team, owner, first in rows]
        return found

    return once_a_tick("owners", now, query)


def plan_checkins(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """One message per person on their working Monday morning, listing their open items.

    Only the owners whose check-in may have come are read: their open items keep when to look again
    (`checkin_check_at`: this week's morning, or next week's once this week's is planned or past)."""
    planned: list[Planned] = []
    looks: list[dict[str, Any]] = []
    owners = _owners_with_open_items(session, now)
    directory.read_ahead((team_id, owner_id) for team_id, owner_id, _ in owners)
    for team_id, owner_id, first_created in owners:
        person = directory.person(team_id, owner_id)
        if person is None or not person.active:
            again = now + (UNKNOWN_LOOK_AGAIN if person is None else LOOK_AT_LEAST_EVERY)
            looks.append({"t": team_id, "o": owner_id, "at": again})
            continue
        calendar = directory.calendar(team_id)
        monday = monday_of(local_date(now, person.tz))
        at = morning_of(monday, person.tz, calendar, paused_until=person.paused_until)
        following = morning_of(monday + timedelta(days=7), person.tz, calendar, paused_until=person.paused_until)
        looks.append({"t": team_id, "o": owner_id, "at": _next_look(now, at, following)})
        # the week's first working morning, if it falls in this week, has come, had open items then
        # and is not stale
        if monday_of(local_date(at, person.tz)) != monday or at > now or now - at > CHECKIN_STALE_AFTER:
            continue
        if _as_utc(first_created) > at:
            continue
        planned.append(Planned(team_id, CHECKIN, owner_id, owner_id, iso_week(at, person.tz), at))
    if looks:
        looks.sort(key=lambda look: (look["t"], look["o"]))  # one order for every engine: no deadlock between two
        session.connection().execute(
            update(cast(Table, ActionItem.__table__))
            .where(
                ActionItem.team_id == bindparam("t"),
                ActionItem.owner_id == bindparam("o"),
                # written out: an expanding IN cannot go with executemany
                text("status IN (" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"),
            )
            .values(checkin_check_at=bindparam("at", type_=UTCDateTime())),
            looks,
        )
    return planned


def _checkin_people(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    return {(team, owner) for team, owner, _ in _owners_with_open_items(session, now)}


# -- sorries still without a root cause ---------------------------------------------------------


def _sorries_without_cause(session: Session, now: datetime) -> list[Any]:
    """(id, team_id, author_id, created_at) of the sorries without a root cause whose nudge the planner should
    look at now: never looked at, or `cause_check_at` has come. Two ranges of their partial index, one statement
    (an OR of the two, or a filter on their age, made PostgreSQL read every entry of the index)."""
    columns = (Entry.id, Entry.team_id, Entry.author_id, Entry.created_at)
    query = union_all(
        select(*columns).where(SORRY_WITHOUT_CAUSE, Entry.cause_check_at.is_(None)),
        select(*columns).where(SORRY_WITHOUT_CAUSE, Entry.cause_check_at <= now),
    )
    return once_a_tick("sorries", now, lambda: list(session.execute(query).all()))


def plan_root_cause_nudges(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """One nudge to the author of a sorry still without a root cause after two working days.

    Each sorry is looked at until its nudge is planned (then never again: it is sent once), or until it is
    older than the lookback; in between, only when its nudge's moment has come (`cause_check_at`)."""
    planned: list[Planned] = []
    looks: dict[int, datetime] = {}
    entries = _sorries_without_cause(session, now)
    recent = now - ROOT_CAUSE_LOOKBACK
    for entry in entries:
        if _as_utc(entry.created_at) < recent:
            looks[entry.id] = NEVER  # past the lookback: never nudged, out of the way for good
    entries = [entry for entry in entries if _as_utc(entry.created_at) >= recent]
    directory.read_ahead((entry.team_id, entry.author_id) for entry in entries)
    for entry in entries:
        person = directory.person(entry.team_id, entry.author_id)
        if person is None or not person.active:
            looks[entry.id] = now + (UNKNOWN_LOOK_AGAIN if person is None else LOOK_AT_LEAST_EVERY)
            continue
        calendar = directory.calendar(entry.team_id)
        later = add_working_days(entry.created_at, ROOT_CAUSE_WORKING_DAYS, person.tz, calendar)
        at = next_working_moment(later, person.tz, calendar, paused_until=person.paused_until)
        if at <= now:
            looks[entry.id] = NEVER
            planned.append(Planned(entry.team_id, ROOT_CAUSE, str(entry.id), entry.author_id, "root-cause", at))
        else:
            looks[entry.id] = _next_look(now, at)
    if looks:
        # in the order of their ids, as every engine writes them (two engines never wait on each other in a circle)
        rows = [{"id": entry_id, "cause_check_at": at} for entry_id, at in sorted(looks.items())]
        session.execute(update(Entry), rows)
    return planned


def _sorry_authors(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    recent = now - ROOT_CAUSE_LOOKBACK
    return {
        (entry.team_id, entry.author_id)
        for entry in _sorries_without_cause(session, now)
        if _as_utc(entry.created_at) >= recent
    }


# -- entries whose post went missing -------------------------------------------------------------


def plan_entry_posts(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """The post of each entry stored 10 minutes to 3 days ago and neither posted nor refused since,
    in its channel (an older one is stale news and stays unposted; it still counts in the digest)."""
    planned: list[Planned] = []
    missing = entries_repo.unposted(
        session, created_from=now - ENTRY_POST_STALE_AFTER, created_until=now - ENTRY_POST_AFTER
    )
    for entry_id, team_id, channel_id, created_at in missing:
        if not directory.installed(team_id):
            continue
        at = _as_utc(created_at) + ENTRY_POST_AFTER
        planned.append(Planned(team_id, ENTRY_POST, str(entry_id), channel_id, ENTRY_POST_OCCASION, at))
    return planned


# -- the quarterly reviews (bot/engine/reviews.py) --------------------------------------------------


def _review_people(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    return reviews.people("reviews", reviews.own_reviews, session, now)


def plan_quarter_reviews(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """At the start of each quarter in the owner's own zone (their first working morning of it), a review
    for each person who had commitments due in the quarter before."""
    return reviews.plan("reviews", reviews.own_reviews, session, now, directory)


def _lead_review_people(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    return reviews.people("lead_reviews", reviews.lead_reviews, session, now)


def plan_lead_reviews(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """At the start of each quarter in the lead's own zone (their first working morning of it, as the review of
    one's own index), one message to the lead per report with commitments due in the quarter before, and a short
    one to the report (sent in the report's own working time)."""
    return reviews.plan("lead_reviews", reviews.lead_reviews, session, now, directory)


# -- the lead's weekly nudges -----------------------------------------------------------------------


def _unreviewed(session: Session, now: datetime) -> list[Any]:
    """(id, team_id, lead_id, created_at) of the lead reviews not marked reviewed, young enough to be nudged."""
    since = now - timedelta(days=7 * (LEAD_NUDGES + 1))
    query = (
        select(LeadReview.id, LeadReview.team_id, LeadReview.lead_id, LeadReview.created_at)
        .where(LeadReview.reviewed_at.is_(None), LeadReview.created_at >= since)
        .order_by(LeadReview.id)
    )
    return once_a_tick("unreviewed", now, lambda: list(session.execute(query).all()))


def plan_lead_nudges(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """A review not marked reviewed is nudged to the lead a week after it came, at their first working morning of
    that day, then weekly: three times, then no more. Only the latest nudge whose moment has come is planned, and
    not once the next one's week has begun (a bot that was down sends no backlog)."""
    planned: list[Planned] = []
    rows = _unreviewed(session, now)
    directory.read_ahead({(row.team_id, row.lead_id) for row in rows})
    for row in rows:
        person = directory.person(row.team_id, row.lead_id)
        if person is None or not person.active:
            continue
        calendar = directory.calendar(row.team_id)
        came = local_date(_as_utc(row.created_at), person.tz)
        best: tuple[int, datetime] | None = None
        for number in range(1, LEAD_NUDGES + 1):
            at = morning_of(came + timedelta(days=7 * number), person.tz, calendar, paused_until=person.paused_until)
            if at <= now:
                best = (number, at)
        if best is not None and now - best[1] < timedelta(days=7):
            number, at = best
            planned.append(Planned(row.team_id, LEAD_NUDGE, str(row.id), row.lead_id, f"nudge-{number}", at))
    return planned


def _lead_nudge_people(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    return sorted({(row.team_id, row.lead_id) for row in _unreviewed(session, now)})


# -- meeting prompts -----------------------------------------------------------------------------


def _meetings_to_look_at(session: Session, now: datetime) -> list[Meeting]:
    """The active meetings whose next prompt the planner should look at now (never looked at, or
    `prompt_check_at` has come), through their partial index."""
    query = (
        select(Meeting)
        .where(MEETING_ACTIVE, checks_repo.due(Meeting.prompt_check_at, now, MEETING_ACTIVE))
        .order_by(Meeting.id)
    )
    # the meetings read when asked whom they need stay usable once that session closed (loaded, never expired)
    return once_a_tick("meetings", now, lambda: list(session.scalars(query)))


def _dm_meeting_owners(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    return {
        (meeting.team_id, meeting.owner_id)
        for meeting in _meetings_to_look_at(session, now)
        if meeting.prompt_to == PromptTarget.OWNER.value
    }


def plan_meeting_prompts(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """The opening question of each occurrence that starts within its lead time from now.

    The occasion is the occurrence's local date and start time ("2027-03-23T10:00"): stable through
    daylight-saving changes, and new when the meeting moves to another time of day.
    A prompt whose moment passed while the bot was down still goes out before the meeting starts;
    once it has started, the occurrence is left alone. Meetings keep their own time zone (not the
    owner's working hours: the meeting is when it is). A DM to an owner whose nudges are paused
    waits out the pause, that is, it is not sent.
    """
    planned: list[Planned] = []
    looks: dict[int, datetime] = {}
    meetings = _meetings_to_look_at(session, now)
    directory.read_ahead(
        (meeting.team_id, meeting.owner_id) for meeting in meetings if meeting.prompt_to == PromptTarget.OWNER.value
    )
    for meeting in meetings:
        card = MeetingCard.of(meeting)
        looks[meeting.id] = now + LOOK_AT_LEAST_EVERY
        if card.recipient is None:
            continue
        lead = timedelta(minutes=card.lead_minutes)
        try:
            upcoming = occurrences(card.schedule, after=now, until=now + lead)
            following = next_occurrence(card.schedule, after=now + lead)
        except Exception:
            log.exception("Meeting %s of %s has a schedule that cannot be read", meeting.id, meeting.team_id)
            continue
        # looked at again when the next occurrence's prompt is due (an edit of the meeting sets this back)
        looks[meeting.id] = NEVER if following is None else _next_look(now, prompt_at(following, lead))
        for occurrence in upcoming:
            if card.prompt_to is PromptTarget.OWNER:
                person = directory.person(card.team_id, card.owner_id)
                if person is not None and person.paused_until and occurrence.local_date <= person.paused_until:
                    continue
            planned.append(
                Planned(
                    card.team_id,
                    MEETING_PROMPT,
                    str(card.id),
                    card.recipient,
                    f"{occasion_key(occurrence)}T{card.schedule.at:%H:%M}",
                    prompt_at(occurrence, lead),
                )
            )
    if looks:
        session.execute(
            update(Meeting), [{"id": meeting_id, "prompt_check_at": at} for meeting_id, at in looks.items()]
        )
    return planned


# -- messages planned elsewhere (a new commitment, a refused post) ---------------------------------


def _waiting_recipients(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    """People with a pending message the services planned (a new commitment, a refused post): the engine
    needs their time zone to send it in their working time."""
    rows = session.execute(
        select(Delivery.team_id, Delivery.recipient)
        .where(
            Delivery.kind.in_([ASSIGNED, ENTRY_NOT_POSTED]),
            Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.SENDING.value]),
        )
        .distinct()
    ).all()
    return {(team, recipient) for team, recipient in rows}


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


PLANNERS: tuple[Planner, ...] = (
    Planner("action_nudges", _owners_near_due, plan_action_nudges),
    Planner("checkins", _checkin_people, plan_checkins),
    Planner("root_cause", _sorry_authors, plan_root_cause_nudges),
    Planner("quarter_reviews", _review_people, plan_quarter_reviews),
    Planner("lead_reviews", _lead_review_people, plan_lead_reviews),
    Planner("lead_nudges", _lead_nudge_people, plan_lead_nudges),
    Planner("meeting_prompts", _dm_meeting_owners, plan_meeting_prompts),
    Planner("entry_posts", lambda _session, _now: (), plan_entry_posts),
    Planner("digests", digest_readers, plan_digests, digest_channels),
    Planner("waiting_messages", _waiting_recipients, lambda _session, _now, _directory: []),
)
