"""Claims on Events API deliveries, so a retried event has one effect."""

from __future__ import annotations

from datetime import datetime

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
