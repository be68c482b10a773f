"""`user_change`: someone's time zone (or membership, or role) changed; their nudges follow from the next tick."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.deps import Deps
from bot.services import people


def user_change(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    ack()
    user = event.get("user")
    if isinstance(user, dict):
        people.user_changed(deps, team_id=str(context.team_id or body.get("team_id") or ""), user=user)
