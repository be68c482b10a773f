"""Reviews with one's lead: a person names their lead, the lead accepts; each quarter the lead reviews the
report's commitments with them (notes from both, marked reviewed).

The lead sees only their reports' commitments of the quarter and their Success Index, and only while the
link stands: every read and change of a review checks who asks (`_role`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.services import success_index
from bot.services.replays import claim
from bot.services.success_index import IndexLine
from storage.models import ActionItem, LeadReview, LeadStatus
from storage.repositories import leads as leads_repo

NOTE_MAX = 2000
COMMITMENTS_SHOWN = 25  # a review lists at most this many commitments (the counts cover them all)
NOT_FOUND = "I could not find that review any more."
NOT_YOURS = "Only the person reviewed and their lead can see or change this review."
LINK_GONE = "That request is no longer waiting for an answer: it was withdrawn or replaced."


class LeadProblem(Exception):
    """A request that cannot be done as asked: the message says why and what to do."""


class Role(StrEnum):
    LEAD = "lead"
    REPORT = "report"


@dataclass(frozen=True)
class LeadOverview:
    """What `/mindset lead` shows: one's own lead (and whether they accepted), and who named one their lead."""

    lead_id: str | None
    lead_active: bool
    report_ids: tuple[tuple[str, bool], ...]  # (person, accepted)


@dataclass(frozen=True)
class Named:
    link_id: int
    lead_id: str
    new: bool  # False: this lead was already named (no second request)
    active: bool
    replaced_id: str | None  # the lead named before, if another


@dataclass(frozen=True)
class Answered:
    report_id: str
    lead_id: str
    accepted: bool


@dataclass(frozen=True)
class CommitmentLine:
    title: str
    due: date
    kept: bool
    open: bool


@dataclass(frozen=True)
class ReviewCard:
    id: int
    lead_id: str
    report_id: str
    year: int
    quarter: int
    lines: tuple[IndexLine, ...]
    commitments: tuple[CommitmentLine, ...]
    more: int  # commitments not listed
    lead_note: str | None
    report_note: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"


def overview(deps: Deps, *, team_id: str, user_id: str) -> LeadOverview:
    with deps.session_factory() as session:
        mine = leads_repo.link_of_report(session, team_id=team_id, report_id=user_id)
        reports = leads_repo.links_of_lead(session, team_id=team_id, lead_id=user_id)
        return LeadOverview(
            lead_id=mine.lead_id if mine else None,
            lead_active=bool(mine and mine.status == LeadStatus.ACTIVE.value),
            report_ids=tuple((link.report_id, link.status == LeadStatus.ACTIVE.value) for link in reports),
        )


def name_lead(deps: Deps, *, team_id: str, report_id: str, lead_id: str, key: str | None = None) -> Named:
    """Name `lead_id` the person's lead, waiting for their answer; naming the same lead again changes nothing.
    `Replayed` (bot/services/replays.py) when the command with `key` was handled before."""
    if lead_id == report_id:
        raise LeadProblem("You cannot be your own lead: name the person you review your commitments with.")
    with deps.session_factory() as session:
        link = leads_repo.link_of_report(session, team_id=team_id, report_id=report_id)
        if link is not None and link.lead_id == lead_id:
            return Named(link.id, lead_id, new=False, active=link.status == LeadStatus.ACTIVE.value, replaced_id=None)
        claim(session, team_id=team_id, key=key, now=deps.clock())
        replaced = link.lead_id if link is not None else None
        link = leads_repo.name_lead(session, team_id=team_id, report_id=report_id, lead_id=lead_id, now=deps.clock())
        named = Named(link.id, lead_id, new=True, active=False, replaced_id=replaced)
        session.commit()
        return named


def remove_lead(deps: Deps, *, team_id: str, report_id: str, key: str | None = None) -> str | None:
    """End the person's link to their lead (accepted or not); the lead it was, or None when there was none.
    `Replayed` when the command with `key` was handled before."""
    with deps.session_factory() as session:
        link = leads_repo.link_of_report(session, team_id=team_id, report_id=report_id)
        if link is None:
            return None
        claim(session, team_id=team_id, key=key, now=deps.clock())
        lead_id = link.lead_id
        leads_repo.remove_link(session, link=link)
        session.commit()
        return lead_id


def answer(deps: Deps, *, team_id: str, link_id: int, user_id: str, accept: bool, key: str | None) -> Answered:
    """The named lead accepts or declines (declining removes the request). Only they may answer, once."""
    now = deps.clock()
    with deps.session_factory() as session:
        link = leads_repo.get_link(session, team_id=team_id, link_id=link_id)
        if link is None or link.status != LeadStatus.PENDING.value:
            raise LeadProblem(LINK_GONE)
        if link.lead_id != user_id:
            raise LeadProblem(f"Only <@{link.lead_id}> can answer this request.")
        claim(session, team_id=team_id, key=key, now=now)
        answered = Answered(link.report_id, link.lead_id, accept)
        if accept:
            link.status = LeadStatus.ACTIVE.value
            link.answered_at = now
        else:
            leads_repo.remove_link(session, link=link)
        session.commit()
        return answered


def active_lead(session: Session, *, team_id: str, report_id: str) -> str | None:
    link = leads_repo.link_of_report(session, team_id=team_id, report_id=report_id)
    return link.lead_id if link is not None and link.status == LeadStatus.ACTIVE.value else None


# -- the quarterly review ---------------------------------------------------------------------------


def review_card(session: Session, review: LeadReview) -> ReviewCard:
    """The review with the report's commitments of its quarter and their Success Index (nothing else of theirs)."""
    found = success_index.commitments(
        session,
        team_id=review.team_id,
        year=review.year,
        quarter=review.quarter,
        user_ids=[review.report_id],
        zones=success_index.owner_zones(session, team_id=review.team_id, user_ids=[review.report_id]),
    )
    found.sort(key=lambda c: (c.due, c.item_id))
    shown = found[:COMMITMENTS_SHOWN]
    titles = dict(
        session.execute(
            select(ActionItem.id, ActionItem.title).where(ActionItem.id.in_([c.item_id for c in shown]))
        ).all()
    )
    return ReviewCard(
        id=review.id,
        lead_id=review.lead_id,
        report_id=review.report_id,
        year=review.year,
        quarter=review.quarter,
        lines=tuple(success_index.lines_for(found)),
        commitments=tuple(CommitmentLine(str(titles.get(c.item_id, "")), c.due, c.kept, c.open) for c in shown),
        more=len(found) - len(shown),
        lead_note=review.lead_note,
        report_note=review.report_note,
        reviewed_at=review.reviewed_at,
        reviewed_by=review.reviewed_by,
    )


def has_commitments(session: Session, *, team_id: str, report_id: str, year: int, quarter: int) -> bool:
    return bool(success_index.commitments(session, team_id=team_id, year=year, quarter=quarter, user_ids=[report_id]))


def _role(session: Session, review: LeadReview, user_id: str) -> Role:
    """Whether `user_id` is the review's report, or its lead while still their accepted lead; else refused."""
    if user_id == review.report_id:
        return Role.REPORT
    if (
        user_id == review.lead_id
        and active_lead(session, team_id=review.team_id, report_id=review.report_id) == user_id
    ):
        return Role.LEAD
    raise LeadProblem(NOT_YOURS)


def _review(session: Session, *, team_id: str, review_id: int, user_id: str) -> tuple[LeadReview, Role]:
    review = leads_repo.get_review(session, team_id=team_id, review_id=review_id)
    if review is None:
        raise LeadProblem(NOT_FOUND)
    return review, _role(session, review, user_id)


def get_review(deps: Deps, *, team_id: str, review_id: int, user_id: str) -> tuple[ReviewCard, Role]:
    """The review as `user_id` may see it (LeadProblem when they may not)."""
    with deps.session_factory() as session:
        review, role = _review(session, team_id=team_id, review_id=review_id, user_id=user_id)
        return review_card(session, review), role


def add_note(
    deps: Deps, *, team_id: str, review_id: int, user_id: str, note: str, key: str | None
) -> tuple[ReviewCard, Role]:
    """The lead's or the report's note on the review (each has one; a new one replaces theirs)."""
    text = (note or "").strip()
    if not text:
        raise LeadProblem("Write a few words for the note.")
    if len(text) > NOTE_MAX:
        raise LeadProblem(f"Keep the note to {NOTE_MAX:,} characters (it has {len(text):,}).")
    now = deps.clock()
    with deps.session_factory() as session:
        review, role = _review(session, team_id=team_id, review_id=review_id, user_id=user_id)
        claim(session, team_id=team_id, key=key, now=now)
        if role is Role.LEAD:
            review.lead_note, review.lead_note_at = text, now
        else:
            review.report_note, review.report_note_at = text, now
        session.flush()
        card = review_card(session, review)
        session.commit()
        return card, role


def mark_reviewed(
    deps: Deps, *, team_id: str, review_id: int, user_id: str, key: str | None
) -> tuple[ReviewCard, Role, bool]:
    """Mark the review done (by either of them); False when it was marked before."""
    now = deps.clock()
    with deps.session_factory() as session:
        review, role = _review(session, team_id=team_id, review_id=review_id, user_id=user_id)
        claim(session, team_id=team_id, key=key, now=now)
        changed = review.reviewed_at is None
        if changed:
            review.reviewed_at, review.reviewed_by = now, user_id
            session.flush()
        card = review_card(session, review)
        session.commit()
        return card, role, changed
