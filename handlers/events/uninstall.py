"""`app_uninstalled` and `tokens_revoked`: the workspace's tokens go and its nudges stop at once."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.deps import Deps
from bot.services import installs


def _team(body: dict[str, Any], context: BoltContext) -> str:
    return str(context.team_id or body.get("team_id") or "")


def app_uninstalled(ack: Ack, body: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    installs.uninstalled(deps, team_id=_team(body, context))
    ack()


def tokens_revoked(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Only the bot's token matters: without it the bot can neither answer nor nudge."""
    if (event.get("tokens") or {}).get("bot"):
        installs.uninstalled(deps, team_id=_team(body, context))
    ack()
