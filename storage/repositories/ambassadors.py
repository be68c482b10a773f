"""Ambassadors: who gets the weekly digest, for which customer groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from storage.models import Ambassador, AmbassadorGroup, CustomerGroup, Person


def get_ambassador(session: Session, *, team_id: str, user_id: str) -> Ambassador | None:
    return session.scalars(
        select(Ambassador).where(Ambassador.team_id == team_id, Ambassador.user_id == user_id)
    ).first()


@dataclass(frozen=True)
class AsReader:
    """What a digest needs of an ambassador: whether they left, their zone (None until known), their groups' ids
    (by the groups' names, as `Ambassador.groups`; none: all groups)."""

    left: bool
    tz: str | None
    group_ids: tuple[int, ...]


def as_reader(session: Session, *, team_id: str, user_id: str) -> AsReader | None:
    """The ambassador, their zone and their groups in one statement (a digest is sent to each of hundreds of
    ambassadors at the same minute: one round trip each, not three)."""
    rows = session.execute(
        select(Ambassador.left_at, Person.tz, CustomerGroup.id)
        .select_from(Ambassador)
        .outerjoin(Person, and_(Person.team_id == Ambassador.team_id, Person.user_id == Ambassador.user_id))
        .outerjoin(AmbassadorGroup, AmbassadorGroup.ambassador_id == Ambassador.id)
        .outerjoin(CustomerGroup, CustomerGroup.id == AmbassadorGroup.group_id)
        .where(Ambassador.team_id == team_id, Ambassador.user_id == user_id)
        .order_by(CustomerGroup.name, CustomerGroup.id)
    ).all()
    if not rows:
        return None
    left_at, tz, _ = rows[0]
    return AsReader(left_at is not None, tz, tuple(group_id for _, _, group_id in rows if group_id is not None))


def join(session: Session, *, team_id: str, user_id: str, groups: Sequence[CustomerGroup], now: datetime) -> Ambassador:
    """Make the person an ambassador (again), for these groups (none: all)."""
    ambassador = get_ambassador(session, team_id=team_id, user_id=user_id)
    if ambassador is None:
        ambassador = Ambassador(team_id=team_id, user_id=user_id, joined_at=now)
        session.add(ambassador)
    elif ambassador.left_at is not None:
        ambassador.left_at = None
        ambassador.joined_at = now
    ambassador.groups = list(groups)
    ambassador.digest_check_at = None  # the engine looks at their digest at once
    session.flush()
    return ambassador


def leave(session: Session, *, ambassador: Ambassador, now: datetime) -> None:
    ambassador.left_at = now
    session.flush()


def active(session: Session, *, team_id: str | None = None) -> Sequence[Ambassador]:
    """Current ambassadors of one workspace (or of all), in the order they joined."""
    query = select(Ambassador).where(Ambassador.left_at.is_(None))
    if team_id is not None:
        query = query.where(Ambassador.team_id == team_id)
    return session.scalars(query.order_by(Ambassador.team_id, Ambassador.joined_at, Ambassador.id)).all()
