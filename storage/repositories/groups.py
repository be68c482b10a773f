"""Customer groups of a workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import get_or_insert
from storage.models import CustomerGroup


class GroupNameTaken(Exception):
    """Another group of the workspace already has this name."""


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def list_groups(session: Session, *, team_id: str, include_archived: bool = False) -> Sequence[CustomerGroup]:
    query = select(CustomerGroup).where(CustomerGroup.team_id == team_id)
    if not include_archived:
        query = query.where(CustomerGroup.archived_at.is_(None))
    return session.scalars(query.order_by(CustomerGroup.name_key)).all()


def get_group(session: Session, *, team_id: str, group_id: int) -> CustomerGroup | None:
    """The group with this id, only if it belongs to `team_id`."""
    return session.scalars(
        select(CustomerGroup).where(CustomerGroup.team_id == team_id, CustomerGroup.id == group_id)
    ).first()


def groups_by_ids(session: Session, *, team_id: str, group_ids: Sequence[int]) -> Sequence[CustomerGroup]:
    """The active groups among `group_ids` that belong to `team_id` (others are ignored)."""
    if not group_ids:
        return []
    return session.scalars(
        select(CustomerGroup).where(
            CustomerGroup.team_id == team_id,
            CustomerGroup.id.in_(list(group_ids)),
            CustomerGroup.archived_at.is_(None),
        )
    ).all()


# built once (the lists expand when executed): an entry is logged often, and building a statement costs
_TAGGED = (
    select(CustomerGroup.id, CustomerGroup.name)
    .where(
        CustomerGroup.team_id == bindparam("team_id"),
        CustomerGroup.archived_at.is_(None),
        or_(
            CustomerGroup.id.in_(bindparam("group_ids", expanding=True)),
            func.replace(CustomerGroup.name_key, " ", "-").in_(bindparam("slugs", expanding=True)),
        ),
    )
    .order_by(CustomerGroup.name)
)


_GROUPS = CustomerGroup.metadata.tables[CustomerGroup.__tablename__]
# on the table, not the mapped class: executed on the session's connection, it skips the ORM's statement handling
_ACTIVE_NAMES = (
    select(_GROUPS.c.id, _GROUPS.c.name)
    .where(_GROUPS.c.team_id == bindparam("team_id"), _GROUPS.c.archived_at.is_(None))
    .order_by(_GROUPS.c.name)
)


def active_names(session: Session, *, team_id: str) -> list[tuple[int, str]]:
    """(id, name) of the workspace's active groups, by name as `tagged` orders them: rows, not objects (the
    `#tag` lookup of every `/proud` with a `#`), in the session's transaction."""
    rows = session.connection().execute(_ACTIVE_NAMES, {"team_id": team_id})
    return [(group_id, name) for group_id, name in rows]


def tagged(
    session: Session, *, team_id: str, group_ids: Sequence[int] = (), slugs: Sequence[str] = ()
) -> list[tuple[int, str]]:
    """(id, name) of the workspace's active groups among `group_ids` or whose name written as a tag
    (casefolded, words joined by "-": `#small-clinics`) is among `slugs`, by name; one statement, none
    when both are empty."""
    if not group_ids and not slugs:
        return []
    rows = session.execute(_TAGGED, {"team_id": team_id, "group_ids": list(group_ids), "slugs": list(slugs)})
    return [(group_id, name) for group_id, name in rows]


def _find_by_key(session: Session, *, team_id: str, key: str) -> CustomerGroup | None:
    return session.scalars(
        select(CustomerGroup).where(CustomerGroup.team_id == team_id, CustomerGroup.name_key == key)
    ).first()


def add_group(session: Session, *, team_id: str, name: str, created_by: str, now: datetime) -> CustomerGroup:
    """Add a group; an archived group of the same name comes back instead of a duplicate.

    Race-safe (see `get_or_insert`): when someone adds the same name at the same moment, one insert wins
    and the other finds that group, so it is told the name is taken."""
    clean = " ".join(name.split())
    key = name_key(clean)
    new = CustomerGroup(team_id=team_id, name=clean, name_key=key, created_by=created_by, created_at=now)
    group = get_or_insert(session, find=lambda: _find_by_key(session, team_id=team_id, key=key), make=lambda: new)
    if group is new:
        return group
    if group.archived_at is None:
        raise GroupNameTaken(group.name)
    group.archived_at = None
    group.name = clean
    session.flush()
    return group


def rename_group(session: Session, *, group: CustomerGroup, name: str) -> CustomerGroup:
    clean = " ".join(name.split())
    existing = _find_by_key(session, team_id=group.team_id, key=name_key(clean))
    if existing is not None and existing.id != group.id:
        raise GroupNameTaken(existing.name)
    try:
        with session.begin_nested():  # another rename or add may take the name at this very moment
            group.name = clean
            group.name_key = name_key(clean)
            session.flush()
    except IntegrityError:
        taken = _find_by_key(session, team_id=group.team_id, key=name_key(clean))
        raise GroupNameTaken(taken.name if taken is not None else clean) from None
    return group


def archive_group(session: Session, *, group: CustomerGroup, now: datetime) -> CustomerGroup:
    if group.archived_at is None:
        group.archived_at = now
        session.flush()
    return group
