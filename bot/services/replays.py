"""One effect per request: a state change claims the key Slack made unique for it, in its own transaction.

Slack signs a request, but anyone who captured one may send it again within the five minutes its
signature is accepted, and Slack itself retries. Each change made from a click or a form therefore
claims a key built from what Slack makes unique (`handlers/replays.py`): the claim is written in the
same transaction as the change, so a request sent again finds it and changes nothing, and a change that
fails leaves no claim behind.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from storage.repositories.events import claim_event

KEY_MAX = 64  # processed_events.event_id


class Replayed(Exception):
    """This very request was handled before: nothing was changed this time."""


def stored_key(key: str) -> str:
    """The key as stored: itself, or a digest of it when longer than the column."""
    if len(key) <= KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[: KEY_MAX - 7]


def claim(session: Session, *, team_id: str, key: str | None, now: datetime) -> None:
    """Record `key` in this transaction; raise `Replayed` when it was recorded before (None: no key)."""
    if key is not None and not claim_event(session, team_id=team_id, event_id=stored_key(key), now=now):
        raise Replayed(key)
