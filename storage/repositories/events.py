"""Claims on Events API deliveries, so a retried event has one effect."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import ProcessedEvent


def claim_event(session: Session, *, team_id: str, event_id: str, now: datetime) -> bool:
    """Record the event; False when it was recorded before (a retry or a second process)."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(team_id=team_id, event_id=event_id, received_at=now))
        return True
    except IntegrityError:
        return False


def forget_before(session: Session, *, before: datetime) -> int:
    """Delete the claims recorded before `before` (no retry or replay of them can come any more)."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
