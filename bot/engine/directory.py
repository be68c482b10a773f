"""What the engine knows of people and workspaces: time zones, pauses, working calendars."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from bot.worktime import WorkCalendar, calendar_from, zone
from storage.db import chunks
from storage.models import Holiday, Person, Workspace
from storage.repositories import checks
from storage.repositories import people as people_repo

log = logging.getLogger("mindset.engine.directory")

TZ_FRESH_FOR = timedelta(days=7)
PERMANENT_USER_ERRORS = {"user_not_found", "account_inactive", "user_not_visible"}


@dataclass(frozen=True)
class PersonTime:
    """Where a person is in time: their zone and any pause of their nudges."""

    tz: ZoneInfo
    paused_until: date | None
    active: bool = True


@dataclass(frozen=True)
class Known:
    """What is known already of some workspaces (installed or not) and people (their time), read at once
    for a batch of deliveries so that each delivery need not ask the database again."""

    installed: Mapping[str, bool] = field(default_factory=dict)
    people: Mapping[tuple[str, str], PersonTime | None] = field(default_factory=dict)
    # the working calendars of the workspaces (for nudges that wait for working time)
    calendars: Mapping[str, WorkCalendar] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session, people: Iterable[tuple[str, str]]) -> Known:
        """The workspaces of `people` (pairs of team and user id) and those people, in two queries."""
        wanted = set(people)
        teams = {team for team, _ in wanted}
        if not teams:
            return cls()
        uninstalled: dict[str, datetime | None] = {}
        for some in chunks(sorted(teams)):
            rows = session.execute(
                select(Workspace.team_id, Workspace.uninstalled_at).where(Workspace.team_id.in_(some))
            ).all()
            uninstalled.update((team, at) for team, at in rows)
        known: dict[tuple[str, str], PersonTime | None] = dict.fromkeys(wanted)
        for team, user, tz, paused_until, deactivated in _people_rows(
            session, wanted, Person.tz, Person.paused_until, Person.deactivated
        ):
            if tz is not None:
                known[(team, user)] = PersonTime(zone(tz), paused_until, not deactivated)
        return cls({team: uninstalled.get(team) is None for team in teams}, known, read_calendars(session, teams))


def read_calendars(session: Session, teams: Iterable[str]) -> dict[str, WorkCalendar]:
    """The working calendars of these workspaces, in two queries (the default one for a workspace without
    settings)."""
    teams = sorted(set(teams))
    holidays: dict[str, set[date]] = {team: set() for team in teams}
    for some in chunks(teams):
        for team, day in session.execute(select(Holiday.team_id, Holiday.day).where(Holiday.team_id.in_(some))):
            holidays[team].add(day)
    calendars = {team: WorkCalendar(holidays=frozenset(days)) for team, days in holidays.items()}
    for some in chunks(teams):
        for workspace in session.scalars(select(Workspace).where(Workspace.team_id.in_(some))):
            calendars[workspace.team_id] = calendar_from(
                workspace.work_days, workspace.work_start, workspace.work_end, holidays[workspace.team_id]
            )
    return calendars


class Directory:
    """Per-tick cache over people and workspaces, read from the database (after what is `known`)."""

    def __init__(self, session: Session, known: Known | None = None) -> None:
        self._session = session
        self._calendars: dict[str, WorkCalendar] = dict(known.calendars) if known else {}
        self._people: dict[tuple[str, str], PersonTime | None] = dict(known.people) if known else {}
        self._installed: dict[str, bool] = dict(known.installed) if known else {}
        self._workspaces: dict[str, Workspace] = {}

    def read_ahead(self, people: Iterable[tuple[str, str]]) -> None:
        """Read these people (pairs of team and user id) and their workspaces at once, before a loop asks
        for them one by one."""
        wanted = set(people)
        known = Known.read(self._session, {key for key in wanted if key not in self._people})
        self._people.update(known.people)
        for team_id, installed in known.installed.items():
            self._installed.setdefault(team_id, installed)
        self.read_calendars({team for team, _ in wanted})

    def read_calendars(self, teams: Iterable[str]) -> None:
        """The working calendars of these workspaces, a chunk of workspaces per query (not one query each)."""
        missing = sorted({team for team in teams if team not in self._calendars})
        for some in chunks(missing):
            workspaces = {
                workspace.team_id: workspace
                for workspace in self._session.scalars(select(Workspace).where(Workspace.team_id.in_(some)))
            }
            # held for the tick, so that the session's identity map answers `session.get` without a query
            self._workspaces.update(workspaces)
            holidays: dict[str, set[date]] = {}
            for team, day in self._session.execute(
                select(Holiday.team_id, Holiday.day).where(Holiday.team_id.in_(some))
            ):
                holidays.setdefault(team, set()).add(day)
            for team in some:
                workspace = workspaces.get(team)
                days = frozenset(holidays.get(team, ()))
                self._calendars[team] = (
                    WorkCalendar(holidays=days)
                    if workspace is None
                    else calendar_from(workspace.work_days, workspace.work_start, workspace.work_end, days)
                )
                self._installed.setdefault(team, workspace is None or workspace.uninstalled_at is None)

    def calendar(self, team_id: str) -> WorkCalendar:
        if team_id not in self._calendars:
            workspace = self._session.get(Workspace, team_id)
            holidays = self._session.scalars(select(Holiday.day).where(Holiday.team_id == team_id)).all()
            if workspace is None:
                self._calendars[team_id] = WorkCalendar(holidays=frozenset(holidays))
            else:
                self._calendars[team_id] = calendar_from(
                    workspace.work_days, workspace.work_start, workspace.work_end, holidays
                )
        return self._calendars[team_id]

    def installed(self, team_id: str) -> bool:
        """False once the app was uninstalled from the workspace (nothing is sent there any more)."""
        if team_id not in self._installed:
            workspace = self._session.get(Workspace, team_id)
            self._installed[team_id] = workspace is None or workspace.uninstalled_at is None
        return self._installed[team_id]

    def person(self, team_id: str, user_id: str) -> PersonTime | None:
        """The person's zone and pause; None until their time zone is known (see `refresh_people`)."""
        key = (team_id, user_id)
        if key not in self._people:
            row = self._session.scalars(
                select(Person).where(Person.team_id == team_id, Person.user_id == user_id)
            ).first()
            if row is None or row.tz is None:
                self._people[key] = None
            else:
                self._people[key] = PersonTime(zone(row.tz), row.paused_until, not row.deactivated)
        return self._people[key]


def _people_rows(session: Session, wanted: set[tuple[str, str]], *columns: Any) -> Iterator[tuple[Any, ...]]:
    """(team, user, *columns) of the people among `wanted` (pairs of team and user id) that have a row, found by
    their unique key, a chunk of pairs per query: no statement's parameters grow with the data, and no one else
    of their workspaces is read."""
    for some in chunks(sorted(wanted)):
        query = select(Person.team_id, Person.user_id, *columns).where(
            tuple_(Person.team_id, Person.user_id).in_(list(some))
        )
        yield from (tuple(row) for row in session.execute(query))


def people_needing_refresh(session: Session, wanted: Iterable[tuple[str, str]], now: datetime) -> list[tuple[str, str]]:
    """Which of `wanted` have no time zone yet, or one older than a week."""
    wanted = set(wanted)
    known = {(team, user): checked for team, user, checked in _people_rows(session, wanted, Person.tz_checked_at)}
    stale = []
    for key in sorted(wanted):
        checked = known.get(key)
        if checked is None or now - checked > TZ_FRESH_FOR:
            stale.append(key)
    return stale


def slack_role_of(user: Mapping[str, object]) -> str:
    """ "owner", "admin" or "member", from a `users.info` user (a deleted user is a member: no rights)."""
    if user.get("deleted"):
        return "member"
    if user.get("is_primary_owner") or user.get("is_owner"):
        return "owner"
    return "admin" if user.get("is_admin") else "member"


def refresh_person(session: Session, client: WebClient, team_id: str, user_id: str, now: datetime) -> None:
    """Read the person's time zone and role from `users.info` and keep them (a deleted user is marked inactive).

    The row is added once Slack has answered (race-safe: see `get_or_add_person`), so no write waits on
    Slack, and a row another process added meanwhile (an engine, a form opened at the same moment) gets
    this answer."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code in PERMANENT_USER_ERRORS:
            row = people_repo.get_or_add_person(session, team_id=team_id, user_id=user_id)
            if not row.deactivated:
                checks.look_again_at_person(session, team_id=team_id, user_id=user_id)
            row.deactivated = True
            row.tz = row.tz or "UTC"
            row.tz_checked_at = now
            row.slack_role, row.role_checked_at = "member", now
            session.flush()
            return
        raise
    keep_user(session, people_repo.get_or_add_person(session, team_id=team_id, user_id=user_id), user, now)


def keep_user(session: Session, row: Person, user: Mapping[str, Any], now: datetime) -> bool:
    """Keep what Slack says of a person (a `users.info` answer, or a `user_change` event's user): their zone,
    whether they left, their role. A zone this machine does not know keeps the one we had. True when their
    time changed: their open items, sorries and digests are then looked at again at once."""
    said = user.get("tz")
    known = said if isinstance(said, str) and zone(said).key == said else None
    tz, deactivated = known or row.tz or "UTC", bool(user.get("deleted"))
    changed = (row.tz, bool(row.deactivated)) != (tz, deactivated)
    if changed:
        checks.look_again_at_person(session, team_id=row.team_id, user_id=row.user_id)
    row.tz = tz
    row.deactivated = deactivated
    row.tz_checked_at = now
    row.slack_role, row.role_checked_at = slack_role_of(user), now  # read with the zone: who may change settings
    session.flush()
    return changed
