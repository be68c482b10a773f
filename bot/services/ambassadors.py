"""Customer ambassadors and the workspace's digest settings (channel, day and time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.deps import Deps
from bot.digest.compose import Digest, Reader, ReaderKind, compose
from bot.digest.period import Week
from bot.services import admins
from bot.services.people import SettingsProblem, escape_text
from bot.tags import group_keys, group_tag, tag_key
from bot.worktime import zone
from bot.zones import ZoneProblem, resolve_zone
from storage.db import SessionFactory
from storage.models import Workspace
from storage.repositories import ambassadors as ambassadors_repo
from storage.repositories import channels as channels_repo
from storage.repositories import groups as groups_repo
from storage.repositories import people as people_repo
from storage.repositories import workspaces as workspaces_repo


@dataclass(frozen=True)
class AmbassadorCard:
    user_id: str
    group_names: tuple[str, ...]
    joined_at: datetime


def join(deps: Deps, *, team_id: str, user_id: str, group_words: Sequence[str]) -> AmbassadorCard:
    """Join as an ambassador, for the customer groups named like `#small-clinics` (none: all of them)."""
    now = deps.clock()
    with deps.session_factory() as session:
        groups = list(groups_repo.list_groups(session, team_id=team_id))
        by_slug = {key: group for group in groups for key in group_keys(group.name, group.id)}
        chosen = []
        for word in group_words:
            slug = tag_key(word)
            if slug not in by_slug:
                known = ", ".join(f"`{escape_text(group_tag(group.name, group.id))}`" for group in groups) or "none yet"
                shown = escape_text(word[:40].replace("`", "'"))
                raise SettingsProblem(
                    f"There is no customer group `{shown}`. The groups are: {known}. "
                    "Leave them out to follow all of them."
                )
            chosen.append(by_slug[slug])
        for attempt in range(2):
            try:
                ambassador = ambassadors_repo.join(session, team_id=team_id, user_id=user_id, groups=chosen, now=now)
                card = AmbassadorCard(user_id, tuple(g.name for g in ambassador.groups), ambassador.joined_at)
                session.commit()
                return card
            except IntegrityError:  # joined twice at once: the other one stands
                session.rollback()
                if attempt:
                    raise
        raise AssertionError("unreachable")


def leave(deps: Deps, *, team_id: str, user_id: str) -> bool:
    """False when the person was not an ambassador."""
    with deps.session_factory() as session:
        ambassador = ambassadors_repo.get_ambassador(session, team_id=team_id, user_id=user_id)
        if ambassador is None or ambassador.left_at is not None:
            return False
        ambassadors_repo.leave(session, ambassador=ambassador, now=deps.clock())
        session.commit()
        return True


def list_ambassadors(deps: Deps, *, team_id: str) -> list[AmbassadorCard]:
    with deps.session_factory() as session:
        return [
            AmbassadorCard(a.user_id, tuple(g.name for g in a.groups), a.joined_at)
            for a in ambassadors_repo.active(session, team_id=team_id)
        ]


@dataclass(frozen=True)
class DigestSettings:
    channel: str | None
    weekday: int
    at: time
    tz: str = "UTC"  # the workspace's: the digest channel's week and time follow it


def _settings_of(workspace: Workspace | None) -> DigestSettings:
    if workspace is None:
        return DigestSettings(None, 1, time(9, 0))
    return DigestSettings(
        workspace.digest_channel,
        workspace.digest_weekday or 1,
        workspace.digest_time or time(9, 0),
        workspace.default_tz,
    )


def set_workspace_zone(deps: Deps, *, team_id: str, by: str, zone_name: str) -> DigestSettings:
    """The workspace's own time zone (an IANA name), for what belongs to no one person: the channel digest."""
    try:
        name = resolve_zone(zone_name)
    except ZoneProblem as problem:
        raise SettingsProblem(str(problem)) from None
    with deps.session_factory() as session:
        workspace = workspaces_repo.get_or_add_workspace(session, team_id=team_id)
        was = workspace.default_tz
        workspace.default_tz = name
        settings = _settings_of(workspace)
        if was != name:
            admins.record(
                session, team_id=team_id, by=by, setting=admins.TIME_ZONE, old=was, new=name, now=deps.clock()
            )
        session.commit()
        return settings


def digest_settings(deps: Deps, *, team_id: str) -> DigestSettings:
    with deps.session_factory() as session:
        return _settings_of(workspaces_repo.get_workspace(session, team_id=team_id))


def digest_channel_problem(channel: str, info: dict[str, Any] | None, *, shared_ok: bool) -> str | None:
    """Why `channel` cannot get the digest, from what Slack's conversations.info showed this workspace's
    bot of it (None: it could not see it); None when it can.

    The digest quotes the workspace's entries: it goes only to a channel of this workspace that the bot
    can see, and to one shared with other organisations (Slack Connect) only when the person said so.
    """
    if info is None or info.get("is_archived"):
        return (
            f"I cannot see <#{channel}>: the digest goes to a channel of this workspace that I am in or can "
            "read. Invite me to it if it is private, then run `/mindset digest channel here` in it."
        )
    if info.get("is_im") or info.get("is_mpim"):
        return "Run `/mindset digest channel here` in the channel that should get the digest."
    if (info.get("is_ext_shared") or info.get("is_pending_ext_shared")) and not shared_ok:
        return (
            f"<#{channel}> is shared with other organisations: people outside yours would read the digest, "
            "quotes of your colleagues included. I left the digest channel as it was. If that is what you "
            f"want, run `/mindset digest channel <#{channel}> shared`."
        )
    return None


def schedule_value(weekday: int, at: time) -> str:
    """As the record of changes keeps it: the ISO weekday and the time, `1 09:00`."""
    return f"{weekday} {at:%H:%M}"


def set_digest_channel(deps: Deps, *, team_id: str, by: str, channel: str | None) -> DigestSettings:
    with deps.session_factory() as session:
        workspace = workspaces_repo.get_or_add_workspace(session, team_id=team_id)
        was = workspace.digest_channel
        workspaces_repo.set_digest_channel(session, workspace=workspace, channel=channel)
        settings = _settings_of(workspace)
        if was != channel:
            admins.record(
                session, team_id=team_id, by=by, setting=admins.DIGEST_CHANNEL, old=was, new=channel, now=deps.clock()
            )
        session.commit()
        return settings


def set_digest_schedule(deps: Deps, *, team_id: str, by: str, weekday: int, at: time) -> DigestSettings:
    with deps.session_factory() as session:
        workspace = workspaces_repo.get_or_add_workspace(session, team_id=team_id)
        was = _settings_of(workspace)
        workspaces_repo.set_digest_schedule(session, workspace=workspace, weekday=weekday, at=at)
        settings = _settings_of(workspace)
        if (was.weekday, was.at) != (weekday, at):
            admins.record(
                session, team_id=team_id, by=by, setting=admins.DIGEST_SCHEDULE,
                old=schedule_value(was.weekday, was.at), new=schedule_value(weekday, at), now=deps.clock(),
            )  # fmt: skip
        session.commit()
        return settings


def recent_channel_ids(deps: Deps, *, team_id: str) -> set[str]:
    """The channels a digest of the week so far may quote from, or draw themes from (the last five weeks)."""
    now = deps.clock()
    with deps.session_factory() as session:
        found = channels_repo.recent_channels(session, team_ids=[team_id], since=now - timedelta(weeks=5))
    return {channel for _team, channel in found}


def digest_so_far(deps: Deps, *, team_id: str, user_id: str) -> Digest:
    """This week's digest as it stands, for the person asking (their groups first, their privacy)."""
    now = deps.clock()
    with deps.session_factory() as session:
        person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        tz = zone(person.tz if person else None)
        ambassador = ambassadors_repo.get_ambassador(session, team_id=team_id, user_id=user_id)
        groups = tuple(g.id for g in ambassador.groups) if ambassador and ambassador.left_at is None else ()
        reader = Reader(ReaderKind.PERSON, user_id, groups)
        return compose(session, team_id=team_id, week=Week.containing(now, tz), reader=reader, now=now, detailed=True)


def digest_for_terminal(
    session_factory: SessionFactory, *, team_id: str, week_label: str | None, now: datetime
) -> Digest:
    """A week's digest as a channel would get it (public channels quoted only), in the workspace's zone;
    by default the last complete week."""
    with session_factory() as session:
        workspace = workspaces_repo.get_workspace(session, team_id=team_id)
        tz = zone(workspace.default_tz if workspace else None)
        week = Week.parse(week_label, tz) if week_label else Week.containing(now, tz).shifted(-1)
        if week.start > now:
            raise ValueError(f"{week_label} has not started yet; give this week or an earlier one")
        return compose(session, team_id=team_id, week=week, reader=Reader(ReaderKind.CHANNEL, ""), now=now)
