"""Action items: commitments with an owner, a date and a voice."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, object_session

from bot.deps import Deps
from bot.services import replays
from bot.worktime import zone
from storage.db import create_once
from storage.models import ActionItem, ActionSource, ActionStatus, Area, EntryKind
from storage.repositories import actions as actions_repo
from storage.repositories import deliveries as deliveries_repo
from storage.repositories import entries as entries_repo
from storage.repositories import futures as futures_repo
from storage.repositories import groups as groups_repo
from storage.repositories import meetings as meetings_repo
from storage.repositories import people as people_repo

MAX_YEARS_AHEAD = 3
TITLE_MAX = 150
TEXT_MAX = 2000

ASSIGNED = "action_assigned"


class Horizon(StrEnum):
    SHORT = "short"
    LONG = "long"


SHORT_TERM_MONTHS = 6


def horizon(created_on: date, due: date) -> Horizon:
    """Short term up to 6 months from creation, long term beyond (up to 3 years)."""
    return Horizon.SHORT if due <= add_months(created_on, SHORT_TERM_MONTHS) else Horizon.LONG


# the owners' time zones by (team, user), read once and reused (a cache a caller may pass along)
Zones = MutableMapping[tuple[str, str], ZoneInfo]


def read_owner_zones(session: Session, items: Iterable[ActionItem], zones: Zones | None = None) -> Zones:
    """The time zones of these items' owners, in one query per workspace (UTC for an owner whose zone the
    bot has not learnt yet)."""
    found: Zones = zones if zones is not None else {}
    wanted: dict[str, set[str]] = {}
    for item in items:
        if (item.team_id, item.owner_id) not in found:
            wanted.setdefault(item.team_id, set()).add(item.owner_id)
    for team_id, owners in wanted.items():
        names = people_repo.time_zones(session, team_id=team_id, user_ids=owners)
        found.update({(team_id, owner): zone(names.get(owner)) for owner in owners})
    return found


def item_horizon(created_at: datetime, due_date: date, owner_tz: ZoneInfo) -> Horizon:
    """An item's one horizon, shown on its card, in the export and counted in the Success Index: from the
    owner's local date when it was created to its (current) due date."""
    created = created_at if created_at.tzinfo is not None else created_at.replace(tzinfo=UTC)
    return horizon(created.astimezone(owner_tz).date(), due_date)


def owner_zone(item: ActionItem, zones: Zones | None = None) -> ZoneInfo:
    """The item's owner's time zone (from `zones`, else read from the item's session; UTC when unknown)."""
    key = (item.team_id, item.owner_id)
    if zones is not None and key in zones:
        return zones[key]
    session = object_session(item)
    return read_owner_zones(session, [item], zones)[key] if session is not None else zone(None)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def latest_due(today: date) -> date:
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


class ActionProblem(ValueError):
    """Input that cannot be saved; `field` names the form field it concerns."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_due_date(due: date | None, today: date) -> date:
    if due is None:
        raise ActionProblem("due", "Choose the date by which it will be done.")
    if due < today:
        raise ActionProblem("due", f"That date is in the past; pick {today:%-d %B %Y} or later.")
    if due > latest_due(today):
        raise ActionProblem(
            "due",
            f"That is more than {MAX_YEARS_AHEAD} years ahead; pick {latest_due(today):%-d %B %Y} or earlier, "
            "and split bigger commitments into steps.",
        )
    return due


@dataclass(frozen=True)
class ActionCard:
    """Plain data the renderers need to show an action item."""

    id: int
    team_id: str
    title: str
    owner_id: str
    due_date: date
    original_due_date: date
    status: ActionStatus
    horizon: Horizon
    desired_outcome: str | None = None
    involved: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()
    area: Area | None = None
    source: ActionSource = ActionSource.MANUAL
    source_entry_id: int | None = None
    created_by: str = ""
    stage: str | None = None

    @classmethod
    def of(cls, item: ActionItem, zones: Zones | None = None) -> ActionCard:
        """The item as a card; its horizon in its owner's zone (read from `zones` when given)."""
        return cls(
            id=item.id,
            team_id=item.team_id,
            title=item.title,
            owner_id=item.owner_id,
            due_date=item.due_date,
            original_due_date=item.original_due_date,
            status=ActionStatus(item.status),
            horizon=item_horizon(item.created_at, item.due_date, owner_zone(item, zones)),
            desired_outcome=item.desired_outcome,
            involved=tuple(item.involved_ids),
            group_names=tuple(group.name for group in item.groups),
            area=Area(item.area) if item.area else None,
            source=ActionSource(item.source),
            source_entry_id=item.source_entry_id,
            created_by=item.created_by,
            stage=item.stage,
        )

    def editable_by(self, user_id: str) -> bool:
        """Its owner, its creator and the people involved may update it."""
        return user_id in {self.owner_id, self.created_by, *self.involved}

    @property
    def rescheduled(self) -> bool:
        return self.due_date != self.original_due_date

    @property
    def is_open(self) -> bool:
        return not self.status.closed


@dataclass(frozen=True)
class NewAction:
    team_id: str
    title: str
    owner_id: str
    created_by: str
    due_date: date | None
    today: date
    idempotency_key: str
    desired_outcome: str | None = None
    involved: Sequence[str] = field(default_factory=tuple)
    group_ids: Sequence[int] = field(default_factory=tuple)
    area: Area | None = None
    source: ActionSource = ActionSource.MANUAL
    source_entry_id: int | None = None
    source_answer_id: int | None = None
    stage: str | None = None  # one of the workspace's journey stages (the form's menu)
    future_id: int | None = None  # the confirmed common future it serves (bot/services/futures.py)


def _clean_title(title: str) -> str:
    clean = " ".join((title or "").split())
    if not clean:
        raise ActionProblem("title", "Say in a few words what will be done.")
    if len(clean) > TITLE_MAX:
        raise ActionProblem("title", f"Keep the title to {TITLE_MAX} characters (this one has {len(clean)}).")
    return clean


def _notify_assigned(session: Session, item: ActionItem, people: Sequence[str], occasion: str, now: datetime) -> None:
    """Plan one "you have a new commitment" message per person (the engine sends them, once)."""
    planned = [
        deliveries_repo.Planned(
            team_id=item.team_id, kind=ASSIGNED, subject=str(item.id), recipient=user, occasion=occasion, due_at=now
        )
        for user in dict.fromkeys(people)
    ]
    deliveries_repo.plan(session, planned=planned)


def create_action(deps: Deps, new: NewAction) -> tuple[ActionCard, bool]:
    """Store the item once per idempotency key; tell its owner and the people involved."""
    title = _clean_title(new.title)
    due = check_due_date(new.due_date, new.today)
    outcome = (new.desired_outcome or "").strip() or None
    if outcome and len(outcome) > TEXT_MAX:
        raise ActionProblem("outcome", f"Keep the desired outcome to {TEXT_MAX} characters.")
    now = deps.clock()
    with deps.session_factory() as session:
        if new.future_id is not None:
            future = futures_repo.get_future(session, team_id=new.team_id, future_id=new.future_id)
            if future is None or future.confirmed_at is None:
                raise ActionProblem(
                    "future",
                    "That future is no longer a confirmed common future (another was confirmed meanwhile): "
                    "choose again.",
                )
        item, created = create_once(
            session,
            find=lambda: actions_repo.find_by_idempotency_key(session, team_id=new.team_id, key=new.idempotency_key),
            create=lambda: _add(session, new, title=title, due=due, outcome=outcome, now=now),
        )
        return ActionCard.of(item), created


def _add(session: Session, new: NewAction, *, title: str, due: date, outcome: str | None, now: datetime) -> ActionItem:
    """Store the item and plan the messages telling the owner and the people involved."""
    groups = groups_repo.groups_by_ids(session, team_id=new.team_id, group_ids=list(new.group_ids))
    source, source_entry_id, source_answer_id = new.source, new.source_entry_id, new.source_answer_id
    if source_entry_id is not None:
        entry = entries_repo.get_entry(session, team_id=new.team_id, entry_id=source_entry_id)
        if entry is None or entry.kind != EntryKind.SORRY.value:
            # not a sorry of this workspace: the item stands on its own
            source, source_entry_id = ActionSource.MANUAL, None
    if (
        source_answer_id is not None
        and meetings_repo.get_answer(session, team_id=new.team_id, answer_id=source_answer_id) is None
    ):
        source, source_answer_id = ActionSource.MANUAL, None
    item = actions_repo.add_action(
        session,
        team_id=new.team_id,
        title=title,
        owner_id=new.owner_id,
        created_by=new.created_by,
        created_at=now,
        due_date=due,
        idempotency_key=new.idempotency_key,
        desired_outcome=outcome,
        involved=list(new.involved),
        groups=groups,
        area=new.area.value if new.area else None,
        stage=new.stage,
        source=source.value,
        source_entry_id=source_entry_id,
        source_answer_id=source_answer_id,
    )
    if new.future_id is not None:
        futures_repo.link_action(session, action_id=item.id, future_id=new.future_id)
    others = [user for user in [item.owner_id, *item.involved_ids] if user != new.created_by]
    _notify_assigned(session, item, others, "created", now)
    return item


class NotAllowed(PermissionError):
    """Only the owner, the creator or a person involved may change an action item."""


class AlreadyClosed(ActionProblem):
    """A status asked of an item that is done or dropped meanwhile (a button on an older message): only
    Reopen changes a closed item."""

    def __init__(self, status: str) -> None:
        super().__init__(
            "reason", f"This commitment is already {status}, so I left it as it is. Reopen it first if it needs more."
        )


class ItemChanged(ActionProblem):
    """The status clicked was drawn when the item had another status: someone changed it meanwhile (two
    clicks at once, or a button on an older message). The later click changes nothing."""

    def __init__(self, status: str, by: str | None) -> None:
        who = f" (changed by <@{by}>)" if by else ""
        super().__init__(
            "reason",
            f"This commitment changed meanwhile: it is {status.replace('_', ' ')} now{who}, "
            "so I left it as it is. Here it is as it stands now.",
        )


NOT_FOUND = "That action item no longer exists."
NOT_ALLOWED = "Only its owner, its creator or a person involved can change this action item."


def _editable(
    session: Session, *, team_id: str, action_id: int, user_id: str, key: str | None = None, now: datetime
) -> ActionItem:
    """The item, locked for this transaction, if `user_id` may change it; `key` claimed (see
    bot/services/replays.py: `Replayed` when this request was handled before)."""
    item = actions_repo.lock_action(session, team_id=team_id, action_id=action_id)
    if item is None:
        raise LookupError(NOT_FOUND)
    if not ActionCard.of(item).editable_by(user_id):
        raise NotAllowed(NOT_ALLOWED)
    replays.claim(session, team_id=team_id, key=key, now=now)
    return item


def get_card(deps: Deps, *, team_id: str, action_id: int) -> ActionCard | None:
    with deps.session_factory() as session:
        item = actions_repo.get_action(session, team_id=team_id, action_id=action_id)
        return ActionCard.of(item) if item else None


def set_status(
    deps: Deps,
    *,
    team_id: str,
    action_id: int,
    user_id: str,
    status: ActionStatus,
    reason: str | None = None,
    seen: ActionStatus | None = None,
    key: str | None = None,
) -> ActionCard:
    """Change the status. `seen` is the status the clicked button was drawn with: if the item has another
    one now, someone changed it meanwhile and nothing is changed (`ItemChanged`)."""
    now = deps.clock()
    with deps.session_factory() as session:
        item = _editable(session, team_id=team_id, action_id=action_id, user_id=user_id, key=key, now=now)
        if status is ActionStatus.DROPPED and not (reason or "").strip():
            raise ActionProblem("reason", "Say why it is dropped: it helps the next commitment.")
        old = item.status
        if seen is not None and old != seen.value:
            last = actions_repo.last_status_change(session, action_id=item.id)
            raise ItemChanged(old, last.by if last is not None and last.by != user_id else None)
        if ActionStatus(old).closed and old != status.value and status is not ActionStatus.OPEN:
            raise AlreadyClosed(old)
        if old != status.value:
            item.status = status.value
            item.closed_at = now if status.closed else None
            item.drop_reason = reason.strip() if status is ActionStatus.DROPPED and reason else None
            actions_repo.add_event(
                session,
                item=item,
                at=now,
                by=user_id,
                kind="status",
                old_value=old,
                new_value=status.value,
                note=reason.strip() if reason else None,
            )
        card = ActionCard.of(item)
        session.commit()
        return card


def add_note(
    deps: Deps, *, team_id: str, action_id: int, user_id: str, note: str, key: str | None = None
) -> ActionCard:
    text = (note or "").strip()
    if not text:
        raise ActionProblem("note", "Write a few words about the progress.")
    if len(text) > TEXT_MAX:
        raise ActionProblem("note", f"Keep the note to {TEXT_MAX} characters.")
    now = deps.clock()
    with deps.session_factory() as session:
        item = _editable(session, team_id=team_id, action_id=action_id, user_id=user_id, key=key, now=now)
        actions_repo.add_event(session, item=item, at=now, by=user_id, kind="note", note=text)
        card = ActionCard.of(item)
        session.commit()
        return card


def reschedule(
    deps: Deps,
    *,
    team_id: str,
    action_id: int,
    user_id: str,
    due: date | None,
    today: date,
    note: str | None = None,
    key: str | None = None,
) -> ActionCard:
    """Move the due date; the original promise stays recorded."""
    new_due = check_due_date(due, today)
    now = deps.clock()
    with deps.session_factory() as session:
        item = _editable(session, team_id=team_id, action_id=action_id, user_id=user_id, key=key, now=now)
        old = item.due_date
        if old != new_due:
            item.due_date = new_due
            actions_repo.add_event(
                session,
                item=item,
                at=now,
                by=user_id,
                kind="rescheduled",
                old_value=old.isoformat(),
                new_value=new_due.isoformat(),
                note=(note or "").strip() or None,
            )
        card = ActionCard.of(item)
        session.commit()
        return card


def reassign(
    deps: Deps, *, team_id: str, action_id: int, user_id: str, new_owner: str, key: str | None = None
) -> ActionCard:
    now = deps.clock()
    with deps.session_factory() as session:
        item = _editable(session, team_id=team_id, action_id=action_id, user_id=user_id, key=key, now=now)
        old = item.owner_id
        if old == new_owner:
            raise ActionProblem("owner", "They already own it, so nothing changed: choose someone else to take it on.")
        item.owner_id = new_owner
        item.people = [person for person in item.people if person.user_id != new_owner]
        event = actions_repo.add_event(
            session, item=item, at=now, by=user_id, kind="reassigned", old_value=old, new_value=new_owner
        )
        people = [new_owner, *item.involved_ids]
        _notify_assigned(session, item, [p for p in people if p != user_id], f"reassigned:{event.id}", now)
        card = ActionCard.of(item)
        session.commit()
        return card


def list_for_person(deps: Deps, *, team_id: str, user_id: str, open_only: bool = True) -> list[ActionCard]:
    with deps.session_factory() as session:
        return [
            ActionCard.of(item)
            for item in actions_repo.items_of_person(session, team_id=team_id, user_id=user_id, open_only=open_only)
        ]


def days_overdue(card: ActionCard, today: date) -> int:
    return max((today - card.due_date).days, 0)


STUCK_AFTER_OVERDUE_NUDGES = 3


def overdue_nudges_due(card: ActionCard, today: date) -> int:
    """How many overdue nudges the item has earned by `today`: the day after, then weekly."""
    late = days_overdue(card, today)
    return 0 if late < 1 else 1 + (late - 1) // 7


def is_stuck(card: ActionCard, today: date) -> bool:
    return card.is_open and overdue_nudges_due(card, today) >= STUCK_AFTER_OVERDUE_NUDGES
