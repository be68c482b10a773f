"""The quarterly reviews, one's own and the lead's: whom they are for, and when each falls due.

*Whom* is read from the database while a quarter has just begun somewhere on Earth: the people with commitments
first or now due in the quarter just ended, through two ranges of the due-date indexes, leaving out the reviews
already planned (their delivery exists); by each engine once an hour while a commitment can still be added to
that quarter somewhere on Earth, then once (again after a restart, or when a plan of it was rolled back).

*When* is each one's first working morning of the new quarter in their own zone (the lead's, for a lead's
review). An engine keeps, between its reads, when it should next look at each review (`Watch`): a review whose
moment is still to come is looked at again at that moment, a review planned is not looked at again, and a
review whose person's time changed (their zone, a pause, leaving; the workspace's working days, hours or
holidays) is looked at the tick after the change (`time_changes`, written with the change by
`storage/repositories/checks.py`). So a tick in the review window costs what falls due in it, not the
number of people with commitments (bench/RESULTS.md, benchmark 5 in a review window).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, exists, func, or_, select, union
from sqlalchemy.orm import Session

from bot.engine.directory import Directory
from bot.engine.memo import HELD, held_for, once_a_tick
from bot.worktime import local_date, morning_of, previous_quarter, quarter_bounds, quarter_of
from storage.models import ActionItem, Delivery, LeadLink, LeadStatus, TimeChange
from storage.repositories.deliveries import Planned

REVIEW = "quarter_review"
LEAD_REVIEW = "lead_review"  # to the lead: a report's review (subject: the report)
LEAD_REVIEW_REPORT = "lead_review_report"  # to the report: their lead has it (subject: the lead)

REVIEW_WINDOW_DAYS = 14
REVIEWS_READ_EVERY = timedelta(hours=1)  # whom the reviews are for, read again by an engine in their window
# no local day begins earlier than this before it begins in UTC (UTC+14), nor later than this after (UTC-12)
EARLIEST_OFFSET = timedelta(hours=14)
LATEST_OFFSET = timedelta(hours=12)
# once no commitment can be added to the quarters just ended, whom their reviews are for is read once by an engine
SETTLED_READ_EVERY = timedelta(days=REVIEW_WINDOW_DAYS + 7)
# the time changes read each tick start this many reads back: on PostgreSQL a change's id is taken before its
# transaction commits, so a change may become visible after one with a higher id was read
CHANGES_READ_BACK = 10
# a review whose person's zone Slack has not told yet is looked at again this much later (the engine asks)
UNKNOWN_LOOK_AGAIN = timedelta(minutes=10)

Key = tuple[str, str, str, str, str]  # a review's delivery: team, kind, subject, recipient, occasion


@dataclass(frozen=True)
class Review:
    """One message to plan at someone's first working morning of a quarter (from `from_day` of it): a quarterly
    review, a lead's review, or the pulse (bot/engine/planners.py). Its delivery's key, whose zone and calendar
    decide its moment, and within what it is still sent."""

    team_id: str
    kind: str
    subject: str
    recipient: str
    occasion: str
    zone_of: str  # the person whose working morning it is due at
    starts: tuple[int, int]  # the quarter whose first working morning (from `from_day`) it is due at
    from_day: int = 0
    window_days: int = REVIEW_WINDOW_DAYS  # not sent once this many days have passed since that day in their zone
    latest: datetime | None = None  # nor when its moment comes after this

    @property
    def key(self) -> Key:
        return (self.team_id, self.kind, self.subject, self.recipient, self.occasion)

    def planned(self, at: datetime) -> list[Planned]:
        found = [Planned(self.team_id, self.kind, self.subject, self.recipient, self.occasion, at)]
        if self.kind == LEAD_REVIEW:  # and a short note to the report, sent in their own working time
            found.append(Planned(self.team_id, LEAD_REVIEW_REPORT, self.recipient, self.subject, self.occasion, at))
        return found

    def people(self) -> set[tuple[str, str]]:
        """Whose time zone the engine needs: the recipient, and for a lead's review the report too."""
        return {(self.team_id, self.recipient), (self.team_id, self.subject)}

    def moment(self, directory: Directory, now: datetime) -> tuple[datetime | None, datetime | None]:
        """(due, look again): its moment if that has come, and otherwise when it will (the start of `zone_of`'s
        first working day from day `from_day` of quarter `starts`, in their own zone, within the window); (None,
        None) when it will not come unless their time changes (not active, the window past)."""
        person = directory.person(self.team_id, self.zone_of)
        if person is None:
            return None, now + UNKNOWN_LOOK_AGAIN  # their zone is not known yet: the engine is asking Slack
        if not person.active:
            return None, None
        first = quarter_bounds(*self.starts)[0] + timedelta(days=self.from_day)
        if (local_date(now, person.tz) - first).days >= self.window_days:
            return None, None  # the window is over in their zone (a bot down that long sends no backlog)
        at = morning_of(first, person.tz, directory.calendar(self.team_id), paused_until=person.paused_until)
        if (local_date(at, person.tz) - first).days >= self.window_days:
            return None, None  # paused or on holiday past the window
        if self.latest is not None and at > self.latest:
            return None, None
        return (at, None) if at <= now else (None, at)


def review_of(team_id: str, kind: str, subject: str, recipient: str, reviewed: tuple[int, int]) -> Review:
    """The review of quarter `reviewed`, due at the first working morning of the next quarter in the recipient's
    zone."""
    year, quarter = reviewed
    following = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return Review(team_id, kind, subject, recipient, occasion_of(reviewed), recipient, following)


@dataclass
class Watch:
    """One engine's reviews of the quarters just ended, and when to look at each next (none: at once)."""

    reviews: list[Review]
    look_at: dict[Key, datetime | None] = field(default_factory=dict)  # None: when the person's time changes
    planned: set[Key] = field(default_factory=set)  # planned by this engine: not looked at again
    changes_from: deque[int] = field(default_factory=lambda: deque(maxlen=CHANGES_READ_BACK))
    changes_read_at: datetime | None = None  # the tick whose time changes were applied last
    changes_applied: set[int] = field(default_factory=set)  # of those read again (above `changes_from[0]`)

    def carry_over(self, earlier: Watch | None) -> None:
        """What an earlier read knew of the reviews read again: when their moment comes, or that they wait for a
        change. A review read again that this engine had planned was not committed: it is looked at now; so is
        one waiting for a change (a person not active, or paused past the window: few, and looked at hourly)."""
        if earlier is None:
            return
        self.changes_from, self.changes_read_at = earlier.changes_from, earlier.changes_read_at
        self.changes_applied = earlier.changes_applied
        for review in self.reviews:
            look = earlier.look_at.get(review.key)
            if look is not None and review.key not in earlier.planned:
                self.look_at[review.key] = look

    def forget(self, changes: Iterable[tuple[str, str | None]]) -> None:
        """People (or, with no user, whole workspaces) whose time changed: their reviews are looked at now."""
        people = {(team, user) for team, user in changes if user is not None}
        teams = {team for team, user in changes if user is None}
        if not people and not teams:
            return
        for review in self.reviews:
            if review.team_id in teams or (review.team_id, review.zone_of) in people:
                self.look_at.pop(review.key, None)

    def to_look_at(self, now: datetime) -> list[Review]:
        due: list[Review] = []
        for review in self.reviews:
            if review.key in self.planned:
                continue
            if review.key not in self.look_at:
                due.append(review)
                continue
            look = self.look_at[review.key]
            if look is not None and look <= now:
                due.append(review)
        return due


def occasion_of(quarter: tuple[int, int]) -> str:
    return f"{quarter[0]}-Q{quarter[1]}"


# -- whom: read while a quarter has just begun -------------------------------------------------------


def in_review_window(now: datetime) -> bool:
    """Whether a quarter began less than the review window ago anywhere on Earth: outside, no review can be
    due, and the planners read nothing (the rest of the quarter, a tick does not look at the history)."""
    for moment in (now - EARLIEST_OFFSET, now, now + EARLIEST_OFFSET):
        day = moment.date()
        first, _ = quarter_bounds(*quarter_of(day))
        if (day - first).days <= REVIEW_WINDOW_DAYS:
            return True
    return False


def quarters_just_ended(now: datetime) -> list[tuple[int, int]]:
    """The quarter before today's, for every today on Earth now (UTC-12 to UTC+14)."""
    return sorted({previous_quarter(*quarter_of((now + timedelta(hours=hours)).date())) for hours in (-12, 14)})


def owners_due_between(first: date, last: date, now: datetime) -> CompoundSelect:
    """(team, owner) of the commitments first or now due from `first` to `last`, made before `now`."""
    return union(
        *(
            select(ActionItem.team_id, ActionItem.owner_id).where(due.between(first, last), ActionItem.created_at < now)
            for due in (ActionItem.original_due_date, ActionItem.due_date)
        )
    )


def _not_planned(team: Any, kind: str, subject: Any, recipient: Any, occasion: str) -> Any:
    """No delivery of this review yet (its unique key's index answers it)."""
    return ~exists().where(
        Delivery.team_id == team,
        Delivery.kind == kind,
        Delivery.subject == subject,
        Delivery.recipient == recipient,
        Delivery.occasion == occasion,
    )


def own_reviews(session: Session, quarters: Sequence[tuple[int, int]], now: datetime) -> list[Review]:
    """Everyone with commitments due in one of `quarters` whose review of it is not planned yet."""
    found: list[Review] = []
    for quarter in quarters:
        first, last = quarter_bounds(*quarter)
        owners = owners_due_between(first, last, now).subquery()
        query = select(owners.c.team_id, owners.c.owner_id).where(
            _not_planned(owners.c.team_id, REVIEW, owners.c.owner_id, owners.c.owner_id, occasion_of(quarter))
        )
        found += [review_of(team, REVIEW, owner, owner, quarter) for team, owner in session.execute(query)]
    return sorted(found, key=lambda review: review.key)


def lead_reviews(session: Session, quarters: Sequence[tuple[int, int]], now: datetime) -> list[Review]:
    """Every accepted lead of someone with commitments due in one of `quarters` whose review of that report is
    not planned yet (the links are few; each report's items are found by `ix_action_items_team_owner`)."""
    found: list[Review] = []
    for quarter in quarters:
        first, last = quarter_bounds(*quarter)
        had_commitments = exists().where(
            ActionItem.team_id == LeadLink.team_id,
            ActionItem.owner_id == LeadLink.report_id,
            or_(ActionItem.original_due_date.between(first, last), ActionItem.due_date.between(first, last)),
            ActionItem.created_at < now,
        )
        query = select(LeadLink.team_id, LeadLink.lead_id, LeadLink.report_id).where(
            LeadLink.status == LeadStatus.ACTIVE.value,
            had_commitments,
            _not_planned(LeadLink.team_id, LEAD_REVIEW, LeadLink.report_id, LeadLink.lead_id, occasion_of(quarter)),
        )
        found += [review_of(team, LEAD_REVIEW, report, lead, quarter) for team, lead, report in session.execute(query)]
    return sorted(found, key=lambda review: review.key)


ReadReviews = Callable[[Session, Sequence[tuple[int, int]], datetime], list[Review]]


def _watch(name: str, read: ReadReviews, session: Session, now: datetime) -> Watch | None:
    """This engine's watch over the reviews `read` finds (None outside the window)."""
    if not in_review_window(now):
        return None
    quarters = tuple(quarters_just_ended(now))
    return watch(name, quarters, _read_every(quarters, now), lambda: read(session, quarters, now), session, now)


def watch(
    name: str, key: object, read_every: timedelta, read: Callable[[], list[Review]], session: Session, now: datetime
) -> Watch:
    """This engine's watch over what `read` finds, read again every `read_every` or when `key` changes (keeping
    what it knew of each one read again), with the time changes since its last tick applied."""
    held = HELD.get()
    earlier = held.get(name) if held is not None else None

    def fresh() -> Watch:
        found = Watch(read())
        found.carry_over(earlier[2] if earlier is not None and isinstance(earlier[2], Watch) else None)
        return found

    current = held_for(name, key, now, read_every, fresh)
    current.forget(_time_changes(session, now, current))
    return current


def _read_every(quarters: Sequence[tuple[int, int]], now: datetime) -> timedelta:
    """How long an engine keeps what it read of whom the reviews are for: an hour while the quarters may still
    gain commitments (a due date is never set before its setter's today, so until the quarter has ended in the
    last zone on Earth, UTC-12, and a day more for an item due "today" there), then until the window closes (the
    reviews this engine planned are left out of no later read: its watch knows them, and a plan rolled back makes
    the engine read again, see `NudgeEngine.plan`)."""
    _, last = quarter_bounds(*max(quarters))
    settled = datetime.combine(last + timedelta(days=2), datetime.min.time(), UTC) + LATEST_OFFSET
    return REVIEWS_READ_EVERY if now < settled else SETTLED_READ_EVERY


def _time_changes(session: Session, now: datetime, watch: Watch) -> list[tuple[str, str | None]]:
    """The time changes this watch has not applied (or may have missed), read once a tick for both watches."""
    if watch.changes_read_at == now:
        return []
    watch.changes_read_at = now
    if not watch.changes_from:
        # first read: start from the newest change (the reviews were just read, nothing is known of them yet)
        newest = once_a_tick("newest_time_change", now, lambda: session.scalar(select(func.max(TimeChange.id))))
        watch.changes_from.append(newest or 0)
        return []
    since = watch.changes_from[0]
    rows = once_a_tick(
        f"time_changes>{since}",
        now,
        lambda: list(
            session.execute(
                select(TimeChange.id, TimeChange.team_id, TimeChange.user_id)
                .where(TimeChange.id > since)
                .order_by(TimeChange.id)
            ).all()
        ),
    )
    watch.changes_from.append(max([since, watch.changes_from[-1], *(row.id for row in rows)]))
    new = [row for row in rows if row.id not in watch.changes_applied]
    watch.changes_applied = {row.id for row in rows if row.id > watch.changes_from[0]}
    return [(row.team_id, row.user_id) for row in new]


def plan(name: str, read: ReadReviews, session: Session, now: datetime, directory: Directory) -> list[Planned]:
    """The reviews `read` finds whose moment has come; the others are kept for when it comes."""
    found = _watch(name, read, session, now)
    return [] if found is None else due_now(found, now, directory)


def people(name: str, read: ReadReviews, session: Session, now: datetime) -> set[tuple[str, str]]:
    """Whose time zone the engine needs now: the people of the reviews it will look at this tick."""
    found = _watch(name, read, session, now)
    return set() if found is None else looking_at(found, now)


def due_now(watched: Watch, now: datetime, directory: Directory) -> list[Planned]:
    """What `watched` holds whose moment has come; when the others' comes is kept."""
    looking = watched.to_look_at(now)
    directory.read_ahead({(review.team_id, review.zone_of) for review in looking})
    planned: list[Planned] = []
    for review in looking:
        due, look_again = review.moment(directory, now)
        if due is not None:
            planned += review.planned(due)
            watched.planned.add(review.key)
        else:
            watched.look_at[review.key] = look_again
    return planned


def looking_at(watched: Watch, now: datetime) -> set[tuple[str, str]]:
    """The people of what `watched` will look at this tick (their zones must be known)."""
    return {person for review in watched.to_look_at(now) for person in review.people()}
