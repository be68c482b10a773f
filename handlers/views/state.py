"""Reading values out of a submitted modal, and its private metadata, defensively."""

from __future__ import annotations

import json
from datetime import date
from typing import Any


def _value(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    values = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    found = values.get(action_id)
    return found if isinstance(found, dict) else {}


def text_value(view: dict[str, Any], block_id: str, action_id: str) -> str:
    return str(_value(view, block_id, action_id).get("value") or "")


def selected_values(view: dict[str, Any], block_id: str, action_id: str) -> list[str]:
    options = _value(view, block_id, action_id).get("selected_options") or []
    return [str(option.get("value")) for option in options if isinstance(option, dict)]


def selected_value(view: dict[str, Any], block_id: str, action_id: str) -> str | None:
    option = _value(view, block_id, action_id).get("selected_option")
    return str(option["value"]) if isinstance(option, dict) and option.get("value") else None


def selected_conversation(view: dict[str, Any], block_id: str, action_id: str) -> str | None:
    value = _value(view, block_id, action_id).get("selected_conversation")
    return str(value) if value else None


def selected_user(view: dict[str, Any], block_id: str, action_id: str) -> str | None:
    value = _value(view, block_id, action_id).get("selected_user")
    return str(value) if value else None


def selected_users(view: dict[str, Any], block_id: str, action_id: str) -> list[str]:
    users = _value(view, block_id, action_id).get("selected_users") or []
    return [str(user) for user in users if user]


def selected_date(view: dict[str, Any], block_id: str, action_id: str) -> date | None:
    """The datepicker's day; None when none was picked (or Slack sent something unreadable)."""
    value = _value(view, block_id, action_id).get("selected_date")
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def selected_time(view: dict[str, Any], block_id: str, action_id: str) -> str | None:
    value = _value(view, block_id, action_id).get("selected_time")
    return str(value) if value else None


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The private metadata we put on the view; anything unreadable counts as empty."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
