"""Managing a workspace's customer groups."""

from __future__ import annotations

from dataclasses import dataclass

from bot.deps import Deps
from bot.services import admins
from bot.slack_text import OPTION_TEXT_MAX
from bot.tags import group_tag
from storage.repositories import groups as groups_repo


@dataclass(frozen=True)
class GroupOption:
    """A customer group as forms and lists show it."""

    id: int
    name: str

    @property
    def tag(self) -> str:
        """What to type in an entry to tag it with this group (see bot/tags.py)."""
        return group_tag(self.name, self.id)


class GroupProblem(ValueError):
    """A group name that cannot be used, with the sentence that says why."""


def list_options(deps: Deps, *, team_id: str) -> list[GroupOption]:
    with deps.session_factory() as session:
        return [GroupOption(g.id, g.name) for g in groups_repo.list_groups(session, team_id=team_id)]


def _clean_name(name: str) -> str:
    clean = " ".join((name or "").split())
    if not clean:
        raise GroupProblem("Give the group a name.")
    if len(clean) > OPTION_TEXT_MAX:
        raise GroupProblem(f"Keep the name to {OPTION_TEXT_MAX} characters (this one has {len(clean)}).")
    return clean


def add_group(deps: Deps, *, team_id: str, name: str, by: str) -> GroupOption:
    clean = _clean_name(name)
    with deps.session_factory() as session:
        try:
            group = groups_repo.add_group(session, team_id=team_id, name=clean, created_by=by, now=deps.clock())
        except groups_repo.GroupNameTaken as taken:
            raise GroupProblem(f"There is already a group called “{taken}”.") from None
        option = GroupOption(group.id, group.name)
        session.commit()
        return option


def rename_group(deps: Deps, *, team_id: str, by: str, group_id: int, name: str) -> GroupOption:
    clean = _clean_name(name)
    with deps.session_factory() as session:
        group = groups_repo.get_group(session, team_id=team_id, group_id=group_id)
        if group is None or group.archived_at is not None:
            raise GroupProblem("That group no longer exists; it may have been archived.")
        if group.name != clean:
            admins.record(
                session, team_id=team_id, by=by, setting=admins.GROUP_RENAMED, old=group.name, new=clean,
                now=deps.clock(),
            )  # fmt: skip
        try:
            groups_repo.rename_group(session, group=group, name=clean)
        except groups_repo.GroupNameTaken as taken:
            raise GroupProblem(f"There is already a group called “{taken}”.") from None
        option = GroupOption(group.id, group.name)
        session.commit()
        return option


def archive_group(deps: Deps, *, team_id: str, by: str, group_id: int) -> GroupOption | None:
    with deps.session_factory() as session:
        group = groups_repo.get_group(session, team_id=team_id, group_id=group_id)
        if group is None:
            return None
        if group.archived_at is None:
            admins.record(
                session, team_id=team_id, by=by, setting=admins.GROUP_ARCHIVED, old=group.name, new=None,
                now=deps.clock(),
            )  # fmt: skip
        groups_repo.archive_group(session, group=group, now=deps.clock())
        option = GroupOption(group.id, group.name)
        session.commit()
        return option


def list_archived(deps: Deps, *, team_id: str) -> list[GroupOption]:
    with deps.session_factory() as session:
        return [
            GroupOption(g.id, g.name)
            for g in groups_repo.list_groups(session, team_id=team_id, include_archived=True)
            if g.archived_at is not None
        ]


def restore_group(deps: Deps, *, team_id: str, by: str, group_id: int) -> GroupOption | None:
    """Bring an archived group back (tags, forms and the digest see it again); None when it is gone."""
    with deps.session_factory() as session:
        group = groups_repo.get_group(session, team_id=team_id, group_id=group_id)
        if group is None:
            return None
        if group.archived_at is not None:
            group.archived_at = None
            admins.record(
                session, team_id=team_id, by=by, setting=admins.GROUP_RESTORED, old=None, new=group.name,
                now=deps.clock(),
            )  # fmt: skip
        option = GroupOption(group.id, group.name)
        session.commit()
        return option


def group_name(deps: Deps, *, team_id: str, group_id: int) -> str | None:
    with deps.session_factory() as session:
        group = groups_repo.get_group(session, team_id=team_id, group_id=group_id)
        return group.name if group is not None and group.archived_at is None else None
