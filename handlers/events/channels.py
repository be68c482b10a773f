"""`member_left_channel` and `group_left`: a private channel's entries stop being quoted to who left."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.deps import Deps
from bot.services import channels


def _team(body: dict[str, Any], context: BoltContext) -> str:
    return str(context.team_id or body.get("team_id") or "")


def member_left_channel(
    ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext, deps: Deps
) -> None:
    channel, user = event.get("channel"), event.get("user")
    if isinstance(channel, str) and isinstance(user, str):
        channels.member_left(deps, team_id=_team(body, context), channel_id=channel, user_id=user)
    ack()


def group_left(ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    channel = event.get("channel")
    if isinstance(channel, str):
        channels.bot_left(deps, team_id=_team(body, context), channel_id=channel)
    ack()
