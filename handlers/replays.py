"""The keys that make a click or a form have one effect (bot/services/replays.py), from what Slack makes
unique in each request: a form's view id and hash, a click's action_ts and the message or view it was in.
"""

from __future__ import annotations

from typing import Any


def view_key(view: dict[str, Any]) -> str:
    """A form submitted: Slack gives the view a new hash whenever it changes, so a form submitted once,
    corrected and submitted again (after field errors, which change nothing) is the same request."""
    return f"view:{view.get('id')}:{view.get('hash')}"


def click_key(body: dict[str, Any], action: dict[str, Any]) -> str:
    """A button clicked: who, when (Slack's action_ts, to the microsecond) and where."""
    container = body.get("container") or {}
    where = container.get("message_ts") or container.get("view_id") or (body.get("view") or {}).get("id")
    return f"click:{(body.get('user') or {}).get('id')}:{action.get('action_ts')}:{where}"
