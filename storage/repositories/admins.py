"""Who may change a workspace's settings (besides its Slack admins and owners), and the record of changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.db import get_or_insert
from storage.models import MindsetAdmin, SettingsChange

CHANGES_KEPT = 200  # per workspace: the newest; older ones are deleted as new ones come
VALUE_MAX = 200


def list_admins(session: Session, *, team_id: str) -> Sequence[MindsetAdmin]:
    return session.scalars(
        select(MindsetAdmin).where(MindsetAdmin.team_id == team_id).order_by(MindsetAdmin.added_at, MindsetAdmin.id)
    ).all()


def get_admin(session: Session, *, team_id: str, user_id: str) -> MindsetAdmin | None:
    return session.scalars(
        select(MindsetAdmin).where(MindsetAdmin.team_id == team_id, MindsetAdmin.user_id == user_id)
    ).first()


def add_admin(
    session: Session, *, team_id: str, user_id: str, added_by: str, now: datetime
) -> tuple[MindsetAdmin, bool]:
    """The person's row, and whether it is new (race-safe: named twice at once, one row)."""
    new = MindsetAdmin(team_id=team_id, user_id=user_id, added_by=added_by, added_at=now)
    row = get_or_insert(session, find=lambda: get_admin(session, team_id=team_id, user_id=user_id), make=lambda: new)
    return row, row is new


def remove_admin(session: Session, *, team_id: str, user_id: str) -> bool:
    """False when the person was not one."""
    result = session.execute(
        delete(MindsetAdmin).where(MindsetAdmin.team_id == team_id, MindsetAdmin.user_id == user_id)
    )
    session.flush()
    return bool(getattr(result, "rowcount", 0))


def _clip(value: str | None) -> str | None:
    if value is None:
        return None
    return value if len(value) <= VALUE_MAX else value[: VALUE_MAX - 1] + "…"


def record_change(
    session: Session, *, team_id: str, by: str, setting: str, old: str | None, new: str | None, now: datetime
) -> SettingsChange:
    """Keep one change, and only the newest `CHANGES_KEPT` of the workspace."""
    change = SettingsChange(team_id=team_id, at=now, by=by, setting=setting, old_value=_clip(old), new_value=_clip(new))
    session.add(change)
    session.flush()
    oldest_kept = session.scalar(
        select(SettingsChange.id)
        .where(SettingsChange.team_id == team_id)
        .order_by(SettingsChange.id.desc())
        .offset(CHANGES_KEPT - 1)
        .limit(1)
    )
    if oldest_kept is not None:
        session.execute(
            delete(SettingsChange).where(SettingsChange.team_id == team_id, SettingsChange.id < oldest_kept)
        )
    return change


def last_changes(session: Session, *, team_id: str, limit: int) -> Sequence[SettingsChange]:
    return session.scalars(
        select(SettingsChange).where(SettingsChange.team_id == team_id).order_by(SettingsChange.id.desc()).limit(limit)
    ).all()


def changes_by(session: Session, *, team_id: str, user_id: str) -> Sequence[SettingsChange]:
    """The changes the person made that are still kept, oldest first (their copy of their data)."""
    return session.scalars(
        select(SettingsChange)
        .where(SettingsChange.team_id == team_id, SettingsChange.by == user_id)
        .order_by(SettingsChange.id)
    ).all()
