"""Who sees what on the dashboard: every rule in one place.

- A person sees only their own workspace (every query is scoped to the viewer's `team_id`; a session for a
  workspace that is not installed is refused).
- Everyone sees their own entries, commitments and Success Index.
- Ambassadors (active) and workspace admins (Slack admins and owners, and the Customer Mindset admins they
  named) see the workspace's aggregates, entries and everyone's commitments and Success Index; a lead sees
  the Success Index of the people whose lead they are.
- Nobody sees the text of an entry from a private channel they are not a member of, or from a channel the
  bot knows nothing of: the digest's rule (`bot.digest.compose.Visibility`), the same code. The author
  always sees their own words.
- What forget-me erased is deleted from the database, so no query can find it; a forgotten person's place in
  others' records reads `forgotten` and is never a person anyone can look at.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from bot.digest.compose import Reader, ReaderKind, Visibility, channel_facts
from bot.services.admins import SLACK_ADMIN_ROLES
from bot.worktime import zone
from storage.models import Ambassador, Channel, Entry, LeadLink, LeadStatus, MindsetAdmin, Person, Workspace
from storage.repositories import admins as admins_repo
from storage.repositories import ambassadors as ambassadors_repo
from storage.repositories import people as people_repo
from storage.repositories.erasure import FORGOTTEN

HIDDEN_TEXT = "(posted in a private channel you are not in: not shown)"


@dataclass(frozen=True)
class Viewer:
    team_id: str
    user_id: str
    zone: ZoneInfo
    ambassador: bool = False
    admin: bool = False
    reports: frozenset[str] = frozenset()  # people whose lead the viewer is

    @property
    def sees_workspace(self) -> bool:
        return self.ambassador or self.admin

    @property
    def role(self) -> str:
        if self.admin:
            return "workspace admin"
        return "ambassador" if self.ambassador else "member"


def installed(session: Session, team_id: str) -> bool:
    workspace = session.get(Workspace, team_id)
    return workspace is not None and workspace.uninstalled_at is None


def viewer_of(session: Session, *, team_id: str, user_id: str) -> Viewer | None:
    """The viewer's rights as the database says now; None when their workspace is not installed."""
    if not installed(session, team_id) or user_id == FORGOTTEN:
        return None
    person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
    ambassador = ambassadors_repo.get_ambassador(session, team_id=team_id, user_id=user_id)
    slack_admin = person is not None and person.slack_role in SLACK_ADMIN_ROLES
    named_admin = admins_repo.get_admin(session, team_id=team_id, user_id=user_id) is not None
    reports = session.scalars(
        select(LeadLink.report_id).where(
            LeadLink.team_id == team_id, LeadLink.lead_id == user_id, LeadLink.status == LeadStatus.ACTIVE.value
        )
    )
    return Viewer(
        team_id=team_id,
        user_id=user_id,
        zone=zone(person.tz if person is not None else None),
        ambassador=ambassador is not None and ambassador.left_at is None,
        admin=slack_admin or named_admin,
        reports=frozenset(reports),
    )


def workspace_viewer_zones(session: Session) -> dict[str, set[str]]:
    """Per installed workspace, the time zones (IANA keys, as `viewer_of` would give them) of those who see its
    aggregates: active ambassadors and workspace admins (Slack's, and those named)."""
    seeing = (
        select(Ambassador.team_id, Ambassador.user_id)
        .where(Ambassador.left_at.is_(None))
        .union(
            select(MindsetAdmin.team_id, MindsetAdmin.user_id),
            select(Person.team_id, Person.user_id).where(Person.slack_role.in_(sorted(SLACK_ADMIN_ROLES))),
        )
        .subquery()
    )
    rows = session.execute(
        select(seeing.c.team_id, Person.tz)
        .join(Workspace, (Workspace.team_id == seeing.c.team_id) & Workspace.uninstalled_at.is_(None))
        .outerjoin(Person, (Person.team_id == seeing.c.team_id) & (Person.user_id == seeing.c.user_id))
        .distinct()
    )
    zones: dict[str, set[str]] = {}
    for team_id, tz in rows:
        zones.setdefault(str(team_id), set()).add(zone(tz).key)
    return zones


def entries_seen(viewer: Viewer) -> ColumnElement[bool]:
    """The entries (and their aggregates) the viewer may see, as a condition on `Entry`."""
    mine = Entry.team_id == viewer.team_id
    return mine & (true() if viewer.sees_workspace else Entry.author_id == viewer.user_id)


def people_seen(viewer: Viewer) -> frozenset[str] | None:
    """Whose commitments and Success Index the viewer may see: None for everyone of the workspace."""
    if viewer.sees_workspace:
        return None
    return frozenset({viewer.user_id}) | viewer.reports


def commitments_of_everyone(viewer: Viewer) -> bool:
    return viewer.sees_workspace


def sees_person(viewer: Viewer, user_id: str) -> bool:
    seen = people_seen(viewer)
    return user_id != FORGOTTEN and (seen is None or user_id in seen)


class TextRule:
    """Whether the viewer may read an entry's text: the digest's Visibility, and one's own words."""

    def __init__(self, session: Session, viewer: Viewer, channel_ids: Iterable[str]) -> None:
        self._viewer = viewer
        facts = channel_facts(session, viewer.team_id, channel_ids)
        self._visibility = Visibility(facts, Reader(ReaderKind.PERSON, viewer.user_id))

    @classmethod
    def of_workspace(cls, session: Session, viewer: Viewer) -> TextRule:
        """The rule for every channel of the viewer's workspace the bot knows (as many as it has seen: hundreds, a
        few thousand), looked up before the entries are read: while they stream (the CSV), no other statement can
        use the connection, so their channels cannot be looked up as they come."""
        return cls(
            session, viewer, session.scalars(select(Channel.channel_id).where(Channel.team_id == viewer.team_id))
        )

    def readable(self, *, author_id: str, channel_id: str | None) -> bool:
        return author_id == self._viewer.user_id or self.readable_in(channel_id)

    def readable_in(self, channel_id: str | None) -> bool:
        """Whether the viewer may read everyone's texts from this channel (their own they always may)."""
        return self._visibility.can_quote(channel_id)

    def text(self, *, author_id: str, channel_id: str | None, text: str) -> str:
        return text if self.readable(author_id=author_id, channel_id=channel_id) else HIDDEN_TEXT
