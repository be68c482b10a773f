"""People: what the bot keeps of a person (time zone, a pause of their nudges)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import get_or_insert
from storage.models import Person
from storage.repositories import checks


def get_person(session: Session, *, team_id: str, user_id: str) -> Person | None:
    return session.scalars(select(Person).where(Person.team_id == team_id, Person.user_id == user_id)).first()


def get_or_add_person(session: Session, *, team_id: str, user_id: str) -> Person:
    """The person's row, added (without a time zone yet) when the bot has none (race-safe: see
    `get_or_insert`)."""
    return get_or_insert(
        session,
        find=lambda: get_person(session, team_id=team_id, user_id=user_id),
        make=lambda: Person(team_id=team_id, user_id=user_id),
    )


def set_paused_until(session: Session, *, person: Person, day: date | None) -> Person:
    if person.paused_until != day:
        checks.look_again_at_person(session, team_id=person.team_id, user_id=person.user_id)
    person.paused_until = day
    session.flush()
    return person


def time_zones(session: Session, *, team_id: str, user_ids: Iterable[str] | None = None) -> dict[str, str]:
    """Known IANA time zone names by user id (people without one are left out)."""
    query = select(Person.user_id, Person.tz).where(Person.team_id == team_id, Person.tz.is_not(None))
    if user_ids is not None:
        query = query.where(Person.user_id.in_(list(user_ids)))
    # iterated, not listed: a workspace has thousands of people, and rows held at once keep the garbage collector busy
    return {user: tz for user, tz in session.execute(query) if tz}


def known_with_role(session: Session, *, team_id: str, roles: Iterable[str], limit: int) -> list[str]:
    """Ids of active people the bot last read with one of these Slack roles (the workspace's admins it knows)."""
    query = (
        select(Person.user_id)
        .where(Person.team_id == team_id, Person.slack_role.in_(list(roles)), Person.deactivated.is_(False))
        .order_by(Person.user_id)
        .limit(limit)
    )
    return list(session.scalars(query))
