"""Who named whom their lead, and the quarterly reviews with them. The caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import LeadLink, LeadReview, LeadStatus


def link_of_report(session: Session, *, team_id: str, report_id: str) -> LeadLink | None:
    return session.scalars(select(LeadLink).where(LeadLink.team_id == team_id, LeadLink.report_id == report_id)).first()


def get_link(session: Session, *, team_id: str, link_id: int) -> LeadLink | None:
    link = session.get(LeadLink, link_id)
    return link if link is not None and link.team_id == team_id else None


def links_of_lead(session: Session, *, team_id: str, lead_id: str) -> Sequence[LeadLink]:
    return session.scalars(
        select(LeadLink)
        .where(LeadLink.team_id == team_id, LeadLink.lead_id == lead_id)
        .order_by(LeadLink.requested_at, LeadLink.id)
    ).all()


def active_links(session: Session) -> Sequence[LeadLink]:
    """Every accepted link, of every workspace (the engine's planner: a small table)."""
    return session.scalars(
        select(LeadLink).where(LeadLink.status == LeadStatus.ACTIVE.value).order_by(LeadLink.id)
    ).all()


def name_lead(session: Session, *, team_id: str, report_id: str, lead_id: str, now: datetime) -> LeadLink:
    """The report's link, now to `lead_id` and waiting for their answer (any earlier link replaced)."""
    link = link_of_report(session, team_id=team_id, report_id=report_id)
    if link is not None:
        session.delete(link)
        session.flush()
    link = LeadLink(
        team_id=team_id, report_id=report_id, lead_id=lead_id, status=LeadStatus.PENDING.value, requested_at=now
    )
    session.add(link)
    session.flush()
    return link


def remove_link(session: Session, *, link: LeadLink) -> None:
    session.delete(link)
    session.flush()


def get_review(session: Session, *, team_id: str, review_id: int) -> LeadReview | None:
    review = session.get(LeadReview, review_id)
    return review if review is not None and review.team_id == team_id else None


def find_review(
    session: Session, *, team_id: str, lead_id: str, report_id: str, year: int, quarter: int
) -> LeadReview | None:
    return session.scalars(
        select(LeadReview).where(
            LeadReview.team_id == team_id,
            LeadReview.lead_id == lead_id,
            LeadReview.report_id == report_id,
            LeadReview.year == year,
            LeadReview.quarter == quarter,
        )
    ).first()


def review_for(
    session: Session, *, team_id: str, lead_id: str, report_id: str, year: int, quarter: int, now: datetime
) -> LeadReview:
    """The review of the quarter, created if it is not there yet (two engines at once: one row)."""

    def find() -> LeadReview | None:
        return find_review(session, team_id=team_id, lead_id=lead_id, report_id=report_id, year=year, quarter=quarter)

    found = find()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            review = LeadReview(
                team_id=team_id, lead_id=lead_id, report_id=report_id, year=year, quarter=quarter, created_at=now
            )
            session.add(review)
        return review
    except IntegrityError:
        found = find()
        assert found is not None
        return found


def unreviewed_since(session: Session, since: datetime) -> Sequence[LeadReview]:
    """Reviews still to be marked, created after `since` (the nudges' planner)."""
    return session.scalars(
        select(LeadReview)
        .where(LeadReview.reviewed_at.is_(None), LeadReview.created_at >= since)
        .order_by(LeadReview.id)
    ).all()


def reviews_of(session: Session, *, team_id: str, user_id: str) -> Sequence[LeadReview]:
    """The reviews a person is in, as lead or as report."""
    return session.scalars(
        select(LeadReview)
        .where(LeadReview.team_id == team_id, or_(LeadReview.lead_id == user_id, LeadReview.report_id == user_id))
        .order_by(LeadReview.id)
    ).all()
