"""Who may change a workspace's settings, and the record of what was changed.

Workspace admins and owners (as Slack's `users.info` says: `is_admin`, `is_owner`, `is_primary_owner`)
may, and so may the people they name as Customer Mindset admins (`/mindset admins add @someone`).
A person's Slack role is kept with their time zone and read again once it is older than
`ROLE_FRESH_FOR` (one quick call, while the command waits for its answer).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.engine.directory import refresh_person
from bot.slack_client import hasty_copy
from storage.repositories import admins as admins_repo
from storage.repositories import people as people_repo

log = logging.getLogger("mindset.admins")

ROLE_FRESH_FOR = timedelta(minutes=15)  # a role taken away in Slack stops counting within this
ROLE_USABLE_FOR = timedelta(days=1)  # when Slack cannot be asked, a role read this recently still counts
SLACK_ADMIN_ROLES = ("owner", "admin")
CHANGES_SHOWN = 10
WHO_CAN_SHOWN = 5  # people named in a refusal, of each kind
ADMINS_MAX = 50


class NotAllowed(PermissionError):
    """The person may not change this: the sentence says who can."""


@dataclass(frozen=True)
class Role:
    slack_role: str  # "owner", "admin" or "member"
    mindset_admin: bool

    @property
    def workspace_admin(self) -> bool:
        return self.slack_role in SLACK_ADMIN_ROLES

    @property
    def may_change_settings(self) -> bool:
        return self.workspace_admin or self.mindset_admin


def _stale(checked_at: datetime | None, now: datetime, fresh_for: timedelta) -> bool:
    return checked_at is None or now - checked_at > fresh_for


def role_of(deps: Deps, client: WebClient | None, *, team_id: str, user_id: str) -> Role:
    """The person's role, asking Slack when what is kept is older than `ROLE_FRESH_FOR`."""
    now = deps.clock()
    with deps.session_factory() as session:
        person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        if (person is None or _stale(person.role_checked_at, now, ROLE_FRESH_FOR)) and client is not None:
            try:
                refresh_person(session, hasty_copy(client), team_id, user_id, now)
                session.commit()
            except Exception:
                session.rollback()
                log.warning("Could not read the role of %s in %s", user_id, team_id, exc_info=True)
            person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        known = person is not None and person.slack_role and not _stale(person.role_checked_at, now, ROLE_USABLE_FOR)
        mindset_admin = admins_repo.get_admin(session, team_id=team_id, user_id=user_id) is not None
        if not known and not mindset_admin:
            raise NotAllowed(
                "I could not check with Slack whether you are a workspace admin just now. Try again in a minute."
            )
        return Role(
            person.slack_role if person is not None and known and person.slack_role else "member", mindset_admin
        )


def _who_can(session: Session, team_id: str) -> str:
    named = [f"<@{admin.user_id}>" for admin in admins_repo.list_admins(session, team_id=team_id)]
    known = people_repo.known_with_role(session, team_id=team_id, roles=SLACK_ADMIN_ROLES, limit=WHO_CAN_SHOWN)
    among = f" (among them {', '.join(f'<@{user}>' for user in known)})" if known else ""
    if not named:
        return (
            f"Only the workspace's admins and owners{among} can change workspace settings (they can name others "
            "with `/mindset admins add @someone`)."
        )
    listed = ", ".join(named[:WHO_CAN_SHOWN]) + (
        f" and {len(named) - WHO_CAN_SHOWN} more" if len(named) > WHO_CAN_SHOWN else ""
    )
    return (
        f"Only the workspace's admins and owners{among}, and the Customer Mindset admins they named "
        f"({listed}), can change workspace settings."
    )


def require_settings_admin(deps: Deps, client: WebClient | None, *, team_id: str, user_id: str, what: str) -> Role:
    """The person's role if they may change workspace settings; else `NotAllowed` saying who can."""
    role = role_of(deps, client, team_id=team_id, user_id=user_id)
    if role.may_change_settings:
        return role
    with deps.session_factory() as session:
        raise NotAllowed(f"You cannot {what}. {_who_can(session, team_id)} Ask one of them.")


def require_workspace_admin(deps: Deps, client: WebClient | None, *, team_id: str, user_id: str, what: str) -> Role:
    """The person's role if Slack says they are a workspace admin or owner; else `NotAllowed`."""
    role = role_of(deps, client, team_id=team_id, user_id=user_id)
    if role.workspace_admin:
        return role
    raise NotAllowed(f"You cannot {what}: only the workspace's admins and owners can name Customer Mindset admins.")


# -- Customer Mindset admins ---------------------------------------------------------------------


@dataclass(frozen=True)
class AdminCard:
    user_id: str
    added_by: str
    added_at: datetime


class AdminProblem(ValueError):
    """A person who cannot be named (or un-named), with the sentence that says why."""


def list_admins(deps: Deps, *, team_id: str) -> list[AdminCard]:
    with deps.session_factory() as session:
        return [AdminCard(a.user_id, a.added_by, a.added_at) for a in admins_repo.list_admins(session, team_id=team_id)]


def add_admin(deps: Deps, *, team_id: str, user_id: str, by: str) -> bool:
    """Name the person a Customer Mindset admin; False when they already were one."""
    now = deps.clock()
    with deps.session_factory() as session:
        if (
            admins_repo.get_admin(session, team_id=team_id, user_id=user_id) is None
            and len(admins_repo.list_admins(session, team_id=team_id)) >= ADMINS_MAX
        ):
            raise AdminProblem(f"The workspace already has {ADMINS_MAX} Customer Mindset admins; remove one first.")
        _, added = admins_repo.add_admin(session, team_id=team_id, user_id=user_id, added_by=by, now=now)
        if added:
            record(session, team_id=team_id, by=by, setting=ADMIN_ADDED, old=None, new=user_id, now=now)
        session.commit()
        return added


def remove_admin(deps: Deps, *, team_id: str, user_id: str, by: str) -> bool:
    """False when the person was not a Customer Mindset admin."""
    now = deps.clock()
    with deps.session_factory() as session:
        removed = admins_repo.remove_admin(session, team_id=team_id, user_id=user_id)
        if removed:
            record(session, team_id=team_id, by=by, setting=ADMIN_REMOVED, old=user_id, new=None, now=now)
        session.commit()
        return removed


# -- the record of changes -----------------------------------------------------------------------

# what a change was of (the `setting` column): a fixed set, each shown in its own words
WORK_TIME = "work_time"
HOLIDAY_ADDED = "holiday_added"
HOLIDAY_REMOVED = "holiday_removed"
DIGEST_CHANNEL = "digest_channel"
DIGEST_SCHEDULE = "digest_schedule"
TIME_ZONE = "time_zone"
GROUP_RENAMED = "group_renamed"
GROUP_ARCHIVED = "group_archived"
GROUP_RESTORED = "group_restored"
QUESTION_RETIRED = "question_retired"
QUESTION_RESTORED = "question_restored"
ADMIN_ADDED = "admin_added"
ADMIN_REMOVED = "admin_removed"
JOURNEY = "journey"  # the customer journey's stages (old and new: "Group name: " first for a group's own)
FUTURE_CONFIRMED = "future_confirmed"  # old: the customer group, new: the future confirmed as its common future


def record(
    session: Session, *, team_id: str, by: str, setting: str, old: str | None, new: str | None, now: datetime
) -> None:
    """Keep one change in the workspace's record (the caller commits it with the change itself)."""
    admins_repo.record_change(session, team_id=team_id, by=by, setting=setting, old=old, new=new, now=now)


@dataclass(frozen=True)
class ChangeCard:
    at: datetime
    by: str
    setting: str
    old: str | None
    new: str | None


def last_changes(deps: Deps, *, team_id: str, limit: int = CHANGES_SHOWN) -> Sequence[ChangeCard]:
    with deps.session_factory() as session:
        return [
            ChangeCard(c.at, c.by, c.setting, c.old_value, c.new_value)
            for c in admins_repo.last_changes(session, team_id=team_id, limit=limit)
        ]
