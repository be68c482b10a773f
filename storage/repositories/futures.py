"""Ideal futures: proposals per customer group, endorsements, the confirmed common future, the action items
that serve one. The caller commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import (
    OPEN_STATUSES,
    ActionFuture,
    ActionItem,
    CustomerGroup,
    Future,
    FutureEndorsement,
)

ID_MAX = 2**31 - 1  # an INTEGER column: a larger id (a forged button or form) is no row, not a database error


SETTING_VALUE_MAX = 200  # settings_changes.new_value


def confirmation_text(text: str) -> str:
    """A future's text as the record of settings changes keeps its confirmation (cut to the column, so that
    forgetting its author can find it again)."""
    return text if len(text) <= SETTING_VALUE_MAX else text[: SETTING_VALUE_MAX - 1] + "…"


def get_future(session: Session, *, team_id: str, future_id: int) -> Future | None:
    if not 0 < future_id <= ID_MAX:
        return None
    future = session.get(Future, future_id)
    return future if future is not None and future.team_id == team_id else None


def find_by_key(session: Session, *, team_id: str, key: str) -> Future | None:
    return session.scalars(select(Future).where(Future.team_id == team_id, Future.idempotency_key == key)).first()


def add_future(
    session: Session, *, team_id: str, group_id: int, text: str, author_id: str, key: str, now: datetime
) -> Future:
    future = Future(
        team_id=team_id, group_id=group_id, text=text, author_id=author_id, created_at=now, idempotency_key=key
    )
    session.add(future)
    session.flush()
    return future


def of_active_groups(session: Session, *, team_id: str) -> Sequence[tuple[Future, CustomerGroup]]:
    """Every future of the workspace's active customer groups, by group name, the confirmed one first, then the
    newest."""
    return [
        (future, group)
        for future, group in session.execute(
            select(Future, CustomerGroup)
            .join(CustomerGroup, CustomerGroup.id == Future.group_id)
            .where(Future.team_id == team_id, CustomerGroup.archived_at.is_(None))
            .order_by(
                CustomerGroup.name_key,
                Future.confirmed_at.is_(None),
                Future.created_at.desc(),
                Future.id.desc(),
            )
        ).all()
    ]


def confirmed(session: Session, *, team_id: str) -> Sequence[tuple[Future, CustomerGroup]]:
    """The common future of each active customer group that has one, by group name."""
    return [
        (future, group)
        for future, group in session.execute(
            select(Future, CustomerGroup)
            .join(CustomerGroup, CustomerGroup.id == Future.group_id)
            .where(Future.team_id == team_id, Future.confirmed_at.is_not(None), CustomerGroup.archived_at.is_(None))
            .order_by(CustomerGroup.name_key)
        ).all()
    ]


def confirmed_of_group(session: Session, *, team_id: str, group_id: int) -> Future | None:
    return session.scalars(
        select(Future).where(Future.team_id == team_id, Future.group_id == group_id, Future.confirmed_at.is_not(None))
    ).first()


def endorsement_counts(session: Session, *, future_ids: Sequence[int]) -> dict[int, int]:
    if not future_ids:
        return {}
    rows = session.execute(
        select(FutureEndorsement.future_id, func.count())
        .where(FutureEndorsement.future_id.in_(list(future_ids)))
        .group_by(FutureEndorsement.future_id)
    )
    return {future_id: int(count) for future_id, count in rows}


def endorsed_by(session: Session, *, team_id: str, user_id: str) -> set[int]:
    return set(
        session.scalars(
            select(FutureEndorsement.future_id).where(
                FutureEndorsement.team_id == team_id, FutureEndorsement.user_id == user_id
            )
        )
    )


def endorse(session: Session, *, future: Future, user_id: str, now: datetime) -> bool:
    """Add the person's endorsement; False when they had endorsed it already (two clicks at once: one row)."""
    found = session.get(FutureEndorsement, (future.id, user_id))
    if found is not None:
        return False
    try:
        with session.begin_nested():
            session.add(FutureEndorsement(future_id=future.id, user_id=user_id, team_id=future.team_id, created_at=now))
        return True
    except IntegrityError:
        return False


def withdraw(session: Session, *, future: Future, user_id: str) -> bool:
    """Take the person's endorsement back; False when there was none."""
    result = session.execute(
        delete(FutureEndorsement).where(FutureEndorsement.future_id == future.id, FutureEndorsement.user_id == user_id)
    )
    return bool(getattr(result, "rowcount", 0))


def link_action(session: Session, *, action_id: int, future_id: int) -> None:
    session.add(ActionFuture(action_id=action_id, future_id=future_id))
    session.flush()


def future_of_action(session: Session, *, action_id: int) -> int | None:
    return session.scalar(select(ActionFuture.future_id).where(ActionFuture.action_id == action_id))


def futures_of_actions(session: Session, *, action_ids: Sequence[int]) -> dict[int, int]:
    """action id -> the future it serves, for those among `action_ids` that serve one."""
    if not action_ids:
        return {}
    rows = session.execute(
        select(ActionFuture.action_id, ActionFuture.future_id).where(ActionFuture.action_id.in_(list(action_ids)))
    )
    return {action_id: future_id for action_id, future_id in rows}


def served_futures(session: Session, *, team_id: str | None) -> dict[int, int]:
    """action id -> the future it serves, of every item of the workspace (or of all) that serves one."""
    query = select(ActionFuture.action_id, ActionFuture.future_id)
    if team_id is not None:
        query = query.join(Future, Future.id == ActionFuture.future_id).where(Future.team_id == team_id)
    return {action_id: future_id for action_id, future_id in session.execute(query)}


def actions_serving(session: Session, *, future_ids: Sequence[int]) -> dict[int, list[int]]:
    """future id -> the ids of the action items that serve it."""
    found: dict[int, list[int]] = {future_id: [] for future_id in future_ids}
    if not future_ids:
        return found
    rows = session.execute(
        select(ActionFuture.future_id, ActionFuture.action_id)
        .where(ActionFuture.future_id.in_(list(future_ids)))
        .order_by(ActionFuture.action_id)
    )
    for future_id, action_id in rows:
        found[future_id].append(action_id)
    return found


def open_counts(session: Session, *, future_ids: Sequence[int]) -> dict[int, int]:
    """future id -> how many open action items serve it."""
    if not future_ids:
        return {}
    rows = session.execute(
        select(ActionFuture.future_id, func.count())
        .join(ActionItem, ActionItem.id == ActionFuture.action_id)
        .where(ActionFuture.future_id.in_(list(future_ids)), ActionItem.status.in_(OPEN_STATUSES))
        .group_by(ActionFuture.future_id)
    )
    return {future_id: int(count) for future_id, count in rows}


def of_author(session: Session, *, team_id: str, user_id: str) -> Sequence[Future]:
    return session.scalars(
        select(Future).where(Future.team_id == team_id, Future.author_id == user_id).order_by(Future.id)
    ).all()


def endorsements_of(session: Session, *, team_id: str, user_id: str) -> Sequence[FutureEndorsement]:
    return session.scalars(
        select(FutureEndorsement)
        .where(FutureEndorsement.team_id == team_id, FutureEndorsement.user_id == user_id)
        .order_by(FutureEndorsement.created_at, FutureEndorsement.future_id)
    ).all()


@dataclass(frozen=True)
class FutureRow:
    """A future as the export writes it: its group's name, who endorsed it, the action items serving it."""

    future: Future
    group_name: str
    endorsers: tuple[str, ...]
    action_ids: tuple[int, ...]


def iter_futures(
    session: Session, *, since: datetime | None = None, team_id: str | None = None, batch_size: int = 500
) -> Iterator[FutureRow]:
    """Every future in the order they were proposed, streamed `batch_size` at a time (endorsements and
    action links: one query each per batch)."""
    query = select(Future, CustomerGroup.name).join(CustomerGroup, CustomerGroup.id == Future.group_id)
    if since is not None:
        query = query.where(Future.created_at >= since)
    if team_id is not None:
        query = query.where(Future.team_id == team_id)
    query = query.order_by(Future.created_at, Future.id).execution_options(yield_per=batch_size)
    for batch in session.execute(query).partitions():
        ids = [future.id for future, _ in batch]
        endorsers: dict[int, list[str]] = {future_id: [] for future_id in ids}
        for future_id, user_id in session.execute(
            select(FutureEndorsement.future_id, FutureEndorsement.user_id)
            .where(FutureEndorsement.future_id.in_(ids))
            .order_by(FutureEndorsement.future_id, FutureEndorsement.created_at, FutureEndorsement.user_id)
        ):
            endorsers[future_id].append(user_id)
        serving = actions_serving(session, future_ids=ids)
        for future, name in batch:
            yield FutureRow(future, str(name), tuple(endorsers[future.id]), tuple(serving[future.id]))


def count_futures(session: Session, *, since: datetime | None, team_id: str | None) -> int:
    query = select(func.count()).select_from(Future)
    if since is not None:
        query = query.where(Future.created_at >= since)
    if team_id is not None:
        query = query.where(Future.team_id == team_id)
    return int(session.scalar(query) or 0)
