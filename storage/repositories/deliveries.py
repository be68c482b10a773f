"""Deliveries: every scheduled message is planned and claimed here before it is sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import Delivery, DeliveryStatus


@dataclass(frozen=True)
class Planned:
    """A message that is due: the unique key and when it may go out."""

    team_id: str
    kind: str
    subject: str
    recipient: str
    occasion: str
    due_at: datetime


def plan(session: Session, *, planned: Sequence[Planned]) -> int:
    """Record due messages; ones already recorded (by this or another process) are left alone."""
    if not planned:
        return 0
    rows = [
        {
            "team_id": item.team_id,
            "kind": item.kind,
            "subject": item.subject,
            "recipient": item.recipient,
            "occasion": item.occasion,
            "due_at": item.due_at,
            "next_attempt_at": item.due_at,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
        }
        for item in planned
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    total = 0
    for start in range(0, len(rows), 500):
        statement = insert(Delivery).values(rows[start : start + 500]).on_conflict_do_nothing().returning(Delivery.id)
        # rows already there return nothing: the count is what this call planned (rowcount is -1 on psycopg)
        total += len(session.execute(statement).all())
    return total


def claim_due(session: Session, *, now: datetime, worker: str, limit: int, lease: timedelta) -> list[Delivery]:
    """Claim up to `limit` due deliveries for `worker`: pending ones, and claims left stale by a crash.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so concurrent engines never take the
    same row; on SQLite the database's single writer gives the same guarantee. The outer WHERE
    re-checks the state, so a row claimed meanwhile is not taken twice.
    """
    stale_before = now - lease
    claimable = or_(
        and_(Delivery.status == DeliveryStatus.PENDING.value, Delivery.next_attempt_at <= now),
        and_(Delivery.status == DeliveryStatus.SENDING.value, Delivery.claimed_at < stale_before),
    )
    candidates = (
        select(Delivery.id)
        .where(claimable)
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.scalars(candidates))
    if not ids:
        return []
    claimed = session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(ids), claimable)
        .values(status=DeliveryStatus.SENDING.value, claimed_by=worker, claimed_at=now, attempts=Delivery.attempts + 1)
        .returning(Delivery.id)
    ).all()
    session.flush()
    if not claimed:
        return []
    return list(
        session.scalars(
            select(Delivery).where(Delivery.id.in_(claimed)).order_by(Delivery.next_attempt_at, Delivery.id)
        ).all()
    )


def _finish(session: Session, delivery_id: int, worker: str, **values: object) -> bool:
    """Update a delivery only while this worker still holds its claim."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.SENDING.value,
            Delivery.claimed_by == worker,
        )
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def renew_claim(session: Session, *, delivery_id: int, worker: str, now: datetime) -> bool:
    """Restart the lease of this worker's claim just before sending; false when another took it over."""
    return _finish(session, delivery_id, worker, claimed_at=now)


def mark_sent(
    session: Session, *, delivery_id: int, worker: str, now: datetime, channel: str | None, ts: str | None
) -> bool:
    return _finish(
        session,
        delivery_id,
        worker,
        status=DeliveryStatus.SENT.value,
        sent_at=now,
        channel=channel,
        message_ts=ts,
        last_error=None,
    )


def mark_retry(
    session: Session, *, delivery_id: int, worker: str, at: datetime, error: str, tried: bool = True
) -> bool:
    """Back to pending until `at`. A claim that did not try to send (`tried=False`: it came too early, as a
    nudge outside its recipient's working time) does not count among the attempts."""
    return _finish(
        session,
        delivery_id,
        worker,
        status=DeliveryStatus.PENDING.value,
        next_attempt_at=at,
        last_error=error[:200],
        claimed_by=None,
        claimed_at=None,
        **({} if tried else {"attempts": Delivery.attempts - 1}),
    )


def mark_failed(session: Session, *, delivery_id: int, worker: str, error: str) -> bool:
    return _finish(session, delivery_id, worker, status=DeliveryStatus.FAILED.value, last_error=error[:200])


def mark_skipped(session: Session, *, delivery_id: int, worker: str, reason: str) -> bool:
    return _finish(session, delivery_id, worker, status=DeliveryStatus.SKIPPED.value, last_error=reason[:200])


def of_subjects(session: Session, *, team_id: str, kind: str, subjects: Sequence[str]) -> Sequence[Delivery]:
    """Every delivery of this kind about these subjects, whatever its status or recipient, oldest first."""
    if not subjects:
        return []
    return session.scalars(
        select(Delivery)
        .where(Delivery.team_id == team_id, Delivery.kind == kind, Delivery.subject.in_(list(subjects)))
        .order_by(Delivery.id)
    ).all()
