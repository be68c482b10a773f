"""Workspace settings: working days and hours, and holidays."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import get_or_insert
from storage.models import Holiday, Workspace
from storage.repositories import checks


class HolidayTaken(Exception):
    """The workspace already has a holiday on that day."""

    def __init__(self, holiday: Holiday) -> None:
        super().__init__(holiday.day.isoformat())
        self.holiday = holiday


def get_workspace(session: Session, *, team_id: str) -> Workspace | None:
    return session.get(Workspace, team_id)


def get_or_add_workspace(session: Session, *, team_id: str) -> Workspace:
    """The workspace's settings row, added with the defaults when there is none (race-safe: see
    `get_or_insert`)."""
    return get_or_insert(
        session,
        find=lambda: session.get(Workspace, team_id),
        make=lambda: Workspace(team_id=team_id, work_days="1,2,3,4,5", work_start=time(9, 0), work_end=time(17, 0)),
    )


def set_work_time(session: Session, *, workspace: Workspace, work_days: str, start: time, end: time) -> Workspace:
    checks.look_again_at_team(session, team_id=workspace.team_id)
    workspace.work_days = work_days
    workspace.work_start = start
    workspace.work_end = end
    session.flush()
    return workspace


def get_holiday(session: Session, *, team_id: str, day: date) -> Holiday | None:
    return session.scalars(select(Holiday).where(Holiday.team_id == team_id, Holiday.day == day)).first()


def list_holidays(session: Session, *, team_id: str, since: date | None = None) -> Sequence[Holiday]:
    query = select(Holiday).where(Holiday.team_id == team_id)
    if since is not None:
        query = query.where(Holiday.day >= since)
    return session.scalars(query.order_by(Holiday.day)).all()


def add_holiday(session: Session, *, team_id: str, day: date, name: str | None) -> Holiday:
    """Add a holiday; raises `HolidayTaken` when the day already is one."""
    existing = get_holiday(session, team_id=team_id, day=day)
    if existing is not None:
        raise HolidayTaken(existing)
    holiday = Holiday(team_id=team_id, day=day, name=name)
    checks.look_again_at_team(session, team_id=team_id)
    session.add(holiday)
    session.flush()
    return holiday


def remove_holiday(session: Session, *, holiday: Holiday) -> None:
    checks.look_again_at_team(session, team_id=holiday.team_id)
    session.delete(holiday)
    session.flush()


def set_digest_channel(session: Session, *, workspace: Workspace, channel: str | None) -> Workspace:
    workspace.digest_channel = channel
    session.flush()
    return workspace


def set_digest_schedule(session: Session, *, workspace: Workspace, weekday: int, at: time) -> Workspace:
    checks.look_again_at_digests(session, team_id=workspace.team_id)
    workspace.digest_weekday = weekday
    workspace.digest_time = at
    session.flush()
    return workspace


def with_digest_channel(session: Session) -> Sequence[Workspace]:
    return session.scalars(select(Workspace).where(Workspace.digest_channel.is_not(None))).all()
