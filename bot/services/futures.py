"""Ideal futures and the common future (tasks 5 and 6 of the workshop): anyone proposes an ideal future scenario
for a customer group, people endorse the ones they share, and the workspace's admins confirm one per group as its
common future. Action items can serve a confirmed future; the digest counts, per future, the open items serving it
and how many of those due this quarter were kept (its Success Index).

Every change is keyed (bot/services/replays.py): a form submitted twice proposes once, and an endorsement is one
row per person and future, so a double click counts once. Who may confirm is decided before the service is called
(handlers/roles.py: workspace admins and owners, and Customer Mindset admins)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.services import admins
from bot.services.replays import claim
from bot.services.success_index import Commitment, IndexLine
from bot.slack_text import clip
from storage.db import create_once
from storage.models import CustomerGroup, Future
from storage.repositories import futures as futures_repo
from storage.repositories import groups as groups_repo

TEXT_MAX = 500  # a future is a sentence or two: "In 2028 a clinic onboards itself in a day"
TEXT_MIN = 10
PROPOSALS_PER_GROUP_MAX = 20  # proposals waiting in one group besides its common future: all fit one message
PROPOSALS_SHOWN = 3  # per group in `/mindset future` (the most endorsed first)
PROPOSALS_SHOWN_ONE_GROUP = (
    PROPOSALS_PER_GROUP_MAX  # in `/mindset future #group-tag` (a message holds 50 blocks, two per proposal)
)
NOT_FOUND = "I could not find that future any more: its customer group may have been archived."
SETTING_TEXT_MAX = futures_repo.SETTING_VALUE_MAX  # settings_changes.old_value


class FutureProblem(ValueError):
    """A proposal, endorsement or confirmation that cannot be done as asked; the sentence says why and what to do.
    `field`: the form field it concerns ("group" or "text"), if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class FutureCard:
    """A future as lists and buttons show it."""

    id: int
    group_id: int
    group_name: str
    text: str
    author_id: str | None
    created_at: datetime
    endorsements: int
    endorsed_by_me: bool
    confirmed: bool
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    open_actions: int = 0


@dataclass(frozen=True)
class GroupFutures:
    group_id: int
    group_name: str
    confirmed: FutureCard | None
    proposals: tuple[FutureCard, ...]  # not confirmed, the most endorsed first (at most PROPOSALS_SHOWN)
    proposals_total: int


@dataclass(frozen=True)
class FutureBoard:
    """What `/mindset future` shows: every active customer group with its common future and its proposals."""

    groups: tuple[GroupFutures, ...]

    @property
    def has_groups(self) -> bool:
        return bool(self.groups)


@dataclass(frozen=True)
class FutureOption:
    """A confirmed future as the action item form offers it."""

    id: int
    group_name: str
    text: str


@dataclass(frozen=True)
class Confirmed:
    card: FutureCard
    replaced: FutureCard | None  # the group's common future before, if another
    changed: bool  # False: it was already the common future


@dataclass(frozen=True)
class FutureLine:
    """One confirmed future in the digest: the open items serving it and its Success Index this quarter."""

    group_name: str
    text: str
    open_actions: int
    index: IndexLine  # of the items serving it that were due this quarter so far


def _card(
    session: Session,
    future: Future,
    group: CustomerGroup,
    *,
    user_id: str | None,
    counts: dict[int, int] | None = None,
    mine: set[int] | None = None,
    open_actions: dict[int, int] | None = None,
) -> FutureCard:
    if counts is None:
        counts = futures_repo.endorsement_counts(session, future_ids=[future.id])
    if mine is None:
        mine = futures_repo.endorsed_by(session, team_id=future.team_id, user_id=user_id) if user_id else set()
    if open_actions is None:
        open_actions = futures_repo.open_counts(session, future_ids=[future.id])
    return FutureCard(
        id=future.id,
        group_id=group.id,
        group_name=group.name,
        text=future.text,
        author_id=future.author_id,
        created_at=future.created_at,
        endorsements=counts.get(future.id, 0),
        endorsed_by_me=future.id in mine,
        confirmed=future.confirmed_at is not None,
        confirmed_by=future.confirmed_by,
        confirmed_at=future.confirmed_at,
        open_actions=open_actions.get(future.id, 0),
    )


def clean_text(text: str) -> str:
    clean = " ".join((text or "").split())
    if len(clean) < TEXT_MIN:
        raise FutureProblem(
            "Describe the future in a sentence, as a customer would live it: for example “In 2028 a clinic "
            "onboards itself in a day”.",
            "text",
        )
    if len(clean) > TEXT_MAX:
        raise FutureProblem(f"Keep the future to {TEXT_MAX} characters (this one has {len(clean):,}).", "text")
    return clean


def board(deps: Deps, *, team_id: str, user_id: str, show_all_of: int | None = None) -> FutureBoard:
    """Every active group's common future and proposals (the most endorsed first, PROPOSALS_SHOWN of them; every
    one of the group `show_all_of`, up to PROPOSALS_SHOWN_ONE_GROUP)."""
    with deps.session_factory() as session:
        pairs = futures_repo.of_active_groups(session, team_id=team_id)
        ids = [future.id for future, _ in pairs]
        counts = futures_repo.endorsement_counts(session, future_ids=ids)
        mine = futures_repo.endorsed_by(session, team_id=team_id, user_id=user_id)
        open_actions = futures_repo.open_counts(session, future_ids=ids)
        by_group: dict[int, list[FutureCard]] = {}
        for future, group in pairs:
            card = _card(session, future, group, user_id=user_id, counts=counts, mine=mine, open_actions=open_actions)
            by_group.setdefault(group.id, []).append(card)
        found = []
        for group in groups_repo.list_groups(session, team_id=team_id):
            cards = by_group.get(group.id, [])
            confirmed = next((card for card in cards if card.confirmed), None)
            proposals = sorted(
                (card for card in cards if not card.confirmed),
                key=lambda card: (-card.endorsements, -card.created_at.timestamp(), -card.id),
            )
            shown = PROPOSALS_SHOWN_ONE_GROUP if group.id == show_all_of else PROPOSALS_SHOWN
            found.append(GroupFutures(group.id, group.name, confirmed, tuple(proposals[:shown]), len(proposals)))
        return FutureBoard(tuple(found))


def propose(deps: Deps, *, team_id: str, user_id: str, group_id: int | None, text: str, key: str) -> FutureCard:
    """Store the proposal once per key (the form's view): a form submitted twice proposes once."""
    clean = clean_text(text)
    if group_id is None:
        raise FutureProblem("Choose the customer group this future is for.", "group")
    if not 0 < group_id <= futures_repo.ID_MAX:
        raise FutureProblem("That customer group no longer exists; choose another.", "group")
    now = deps.clock()
    with deps.session_factory() as session:
        group = groups_repo.get_group(session, team_id=team_id, group_id=group_id)
        if group is None or group.archived_at is not None:
            raise FutureProblem("That customer group no longer exists; choose another.", "group")
        waiting = [
            f
            for f, g in futures_repo.of_active_groups(session, team_id=team_id)
            if g.id == group_id and f.confirmed_at is None
        ]
        if futures_repo.find_by_key(session, team_id=team_id, key=key) is None and (
            len(waiting) >= PROPOSALS_PER_GROUP_MAX
        ):
            raise FutureProblem(
                f"{group.name} already has {PROPOSALS_PER_GROUP_MAX} proposed futures: endorse one of them instead "
                f"(`/mindset future` lists them).",
                "text",
            )
        future, _ = create_once(
            session,
            find=lambda: futures_repo.find_by_key(session, team_id=team_id, key=key),
            create=lambda: futures_repo.add_future(
                session, team_id=team_id, group_id=group_id, text=clean, author_id=user_id, key=key, now=now
            ),
        )
        group = groups_repo.get_group(session, team_id=team_id, group_id=future.group_id)
        assert group is not None
        return _card(session, future, group, user_id=user_id)


def _future(session: Session, *, team_id: str, future_id: int | None) -> tuple[Future, CustomerGroup]:
    future = futures_repo.get_future(session, team_id=team_id, future_id=future_id) if future_id else None
    group = groups_repo.get_group(session, team_id=team_id, group_id=future.group_id) if future else None
    if future is None or group is None or group.archived_at is not None:
        raise FutureProblem(NOT_FOUND)
    return future, group


def endorse(
    deps: Deps, *, team_id: str, user_id: str, future_id: int | None, endorse: bool, key: str | None
) -> tuple[FutureCard, bool]:
    """Endorse the future (or take one's endorsement back); False when it was so already. One endorsement per
    person and future: a second click, or two at once, changes nothing. `Replayed` when this very click was
    handled before."""
    now = deps.clock()
    with deps.session_factory() as session:
        future, group = _future(session, team_id=team_id, future_id=future_id)
        claim(session, team_id=team_id, key=key, now=now)
        if endorse:
            changed = futures_repo.endorse(session, future=future, user_id=user_id, now=now)
        else:
            changed = futures_repo.withdraw(session, future=future, user_id=user_id)
        session.flush()
        card = _card(session, future, group, user_id=user_id)
        session.commit()
        return card, changed


def confirm(deps: Deps, *, team_id: str, by: str, future_id: int | None, key: str | None) -> Confirmed:
    """Make the future its group's common future, in place of the one before (the caller checked that `by` may).
    `Replayed` when this very click was handled before."""
    now = deps.clock()
    with deps.session_factory() as session:
        future, group = _future(session, team_id=team_id, future_id=future_id)
        if future.confirmed_at is not None:
            return Confirmed(_card(session, future, group, user_id=by), None, changed=False)
        claim(session, team_id=team_id, key=key, now=now)
        before = futures_repo.confirmed_of_group(session, team_id=team_id, group_id=group.id)
        replaced = None
        if before is not None:
            before.confirmed_at, before.confirmed_by = None, None
            session.flush()
            replaced = _card(session, before, group, user_id=by)
        future.confirmed_at, future.confirmed_by = now, by
        admins.record(
            session,
            team_id=team_id,
            by=by,
            setting=admins.FUTURE_CONFIRMED,
            old=clip(group.name, SETTING_TEXT_MAX),
            new=futures_repo.confirmation_text(future.text),
            now=now,
        )
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            raise FutureProblem(
                f"Someone confirmed another common future for {group.name} at the same moment. "
                "Run `/mindset future` to see which, and confirm this one again if it should replace it."
            ) from None
        card = _card(session, future, group, user_id=by)
        session.commit()
        return Confirmed(card, replaced, changed=True)


def confirmed_options(deps: Deps, *, team_id: str) -> list[FutureOption]:
    """The confirmed common futures, for the action item form."""
    with deps.session_factory() as session:
        return [
            FutureOption(future.id, group.name, future.text)
            for future, group in futures_repo.confirmed(session, team_id=team_id)
        ]


def confirmed_cards(session: Session, *, team_id: str) -> list[FutureCard]:
    """Each active group's common future, with the open items serving it (the App Home)."""
    pairs = futures_repo.confirmed(session, team_id=team_id)
    ids = [future.id for future, _ in pairs]
    counts = futures_repo.endorsement_counts(session, future_ids=ids)
    open_actions = futures_repo.open_counts(session, future_ids=ids)
    return [
        _card(session, future, group, user_id=None, counts=counts, mine=set(), open_actions=open_actions)
        for future, group in pairs
    ]


def proposals_waiting(session: Session, *, team_id: str) -> int:
    """Proposed futures of active groups that are not their group's common future."""
    return sum(
        1 for future, _ in futures_repo.of_active_groups(session, team_id=team_id) if future.confirmed_at is None
    )


def digest_lines(session: Session, *, team_id: str, found: Sequence[Commitment]) -> tuple[FutureLine, ...]:
    """Per confirmed future: how many open items serve it, and of the items serving it that were due this quarter
    so far (`found`: the workspace's commitments of the quarter), how many were kept."""
    pairs = futures_repo.confirmed(session, team_id=team_id)
    ids = [future.id for future, _ in pairs]
    serving = futures_repo.actions_serving(session, future_ids=ids)
    open_actions = futures_repo.open_counts(session, future_ids=ids)
    by_item = {commitment.item_id: commitment for commitment in found}
    lines = []
    for future, group in pairs:
        due = [by_item[item] for item in serving[future.id] if item in by_item]
        lines.append(
            FutureLine(
                group.name,
                future.text,
                open_actions.get(future.id, 0),
                IndexLine("Serving it", sum(c.kept for c in due), len(due)),
            )
        )
    return tuple(lines)
