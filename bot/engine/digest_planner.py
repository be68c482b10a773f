"""When each reader's weekly digest is due: the workspace's digest day and time (Monday 09:00 unless
changed) in the reader's own time zone, on a working day. A Monday digest reports the week before
(complete, Monday to Sunday); a digest on any other day reports its own week so far (Monday to the
moment it is sent), and says so in its heading."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.digest.period import Week
from bot.engine.directory import Directory
from bot.engine.memo import once_a_tick
from bot.worktime import WorkCalendar, at_local, local_date, monday_of, zone
from storage.models import AMBASSADOR_ACTIVE, Ambassador, Workspace
from storage.repositories import ambassadors as ambassadors_repo
from storage.repositories import channels as channels_repo
from storage.repositories import checks as checks_repo
from storage.repositories import workspaces as workspaces_repo
from storage.repositories.deliveries import Planned

DIGEST = "weekly_digest"
DIGEST_SUBJECT = "digest"
STALE_AFTER = timedelta(days=3)  # a digest this late is no longer news: it is skipped
DEFAULT_TIME = time(9, 0)


def digest_moment(scheduled: date, at: time, tz: ZoneInfo, calendar: WorkCalendar) -> datetime:
    """The digest's moment: its day at its time, or the next working day at that time."""
    return at_local(calendar.next_working_day(scheduled), at, tz)


def _due(
    now: datetime, tz: ZoneInfo, calendar: WorkCalendar, workspace: Workspace | None, paused_until: date | None = None
) -> tuple[str, datetime] | None:
    """The (reported week, moment) whose digest is due now for a reader in `tz`, if any."""
    weekday = (workspace.digest_weekday if workspace else None) or 1
    at = (workspace.digest_time if workspace else None) or DEFAULT_TIME
    this_monday = monday_of(local_date(now, tz))
    for monday in (this_monday, this_monday - timedelta(days=7)):  # a digest moved past its week still counts
        scheduled = monday + timedelta(days=weekday - 1)
        moment = digest_moment(scheduled, at, tz, calendar)
        if moment > now or now - moment > STALE_AFTER:
            continue
        if paused_until is not None and local_date(moment, tz) <= paused_until:
            continue  # a digest during a pause is not kept for later: it would be stale
        reported = monday - timedelta(days=7) if weekday == 1 else monday
        return Week(reported, tz).label, moment
    return None


def _active_ambassadors(session: Session, now: datetime) -> Sequence[Any]:
    """(id, team_id, user_id) of the current ambassadors whose digest the planner should look at now (never
    looked at, or `digest_check_at` has come), through their partial index; read once a tick (whom the digests
    need, then which are due): see `memo.TICK_MEMO`."""
    query = (
        select(Ambassador.id, Ambassador.team_id, Ambassador.user_id)
        .where(AMBASSADOR_ACTIVE, checks_repo.due(Ambassador.digest_check_at, now, AMBASSADOR_ACTIVE))
        .order_by(Ambassador.team_id, Ambassador.id)
    )
    return once_a_tick("ambassadors", now, lambda: list(session.execute(query).all()))


def _next_look(now: datetime, tz: ZoneInfo, calendar: WorkCalendar, workspace: Workspace | None) -> datetime:
    """When a reader's digest may next be due: the next of this and last week's moments still to come (a digest
    moved past its week by a holiday counts), else no earlier than their next week begins anywhere; at least daily.
    Whatever changes these moments (their zone, pause, the workspace's calendar or digest day) sets it back."""
    weekday = (workspace.digest_weekday if workspace else None) or 1
    at = (workspace.digest_time if workspace else None) or DEFAULT_TIME
    this_monday = monday_of(local_date(now, tz))
    moments = [
        digest_moment(monday + timedelta(days=weekday - 1), at, tz, calendar)
        for monday in (this_monday, this_monday - timedelta(days=7))
    ]
    next_week = datetime.combine(this_monday + timedelta(days=7), time(0), UTC) - timedelta(hours=14)
    return min([moment for moment in moments if moment > now] + [next_week, now + timedelta(days=1)])


def plan_digests(session: Session, now: datetime, directory: Directory) -> list[Planned]:
    planned: list[Planned] = []
    looks: dict[int, datetime] = {}
    workspaces: dict[str, Workspace | None] = {}
    ambassadors = _active_ambassadors(session, now)
    directory.read_ahead((ambassador.team_id, ambassador.user_id) for ambassador in ambassadors)
    for ambassador in ambassadors:
        team_id = ambassador.team_id
        if team_id not in workspaces:
            workspaces[team_id] = workspaces_repo.get_workspace(session, team_id=team_id)
        person = directory.person(team_id, ambassador.user_id)
        if person is None or not person.active:
            looks[ambassador.id] = now + (timedelta(minutes=10) if person is None else timedelta(days=1))
            continue
        looks[ambassador.id] = _next_look(now, person.tz, directory.calendar(team_id), workspaces[team_id])
        due = _due(now, person.tz, directory.calendar(team_id), workspaces[team_id], person.paused_until)
        if due is not None:
            week, moment = due
            planned.append(Planned(team_id, DIGEST, DIGEST_SUBJECT, ambassador.user_id, week, moment))
    for workspace in workspaces_repo.with_digest_channel(session):
        assert workspace.digest_channel is not None
        due = _due(now, zone(workspace.default_tz), directory.calendar(workspace.team_id), workspace)
        if due is not None:
            week, moment = due
            planned.append(Planned(workspace.team_id, DIGEST, DIGEST_SUBJECT, workspace.digest_channel, week, moment))
    if looks:
        session.execute(update(Ambassador), [{"id": key, "digest_check_at": at} for key, at in looks.items()])
    return planned


def digest_readers(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    """People whose time zone the engine needs: the ambassadors."""
    return {(ambassador.team_id, ambassador.user_id) for ambassador in _active_ambassadors(session, now)}


def digest_channels(session: Session, now: datetime) -> Iterable[tuple[str, str]]:
    """Channels whose privacy the digest needs: those used in the last five weeks of digest workspaces."""
    teams = {ambassador.team_id for ambassador in ambassadors_repo.active(session)}
    teams |= {workspace.team_id for workspace in workspaces_repo.with_digest_channel(session)}
    return channels_repo.recent_channels(session, team_ids=teams, since=now - timedelta(weeks=5))
