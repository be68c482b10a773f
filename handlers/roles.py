"""The check before a workspace setting is changed: who may (bot/services/admins.py), refused in words."""

from __future__ import annotations

from slack_bolt import BoltContext

from bot.deps import Deps
from bot.services import admins as admin_service
from bot.services.people import SettingsProblem


def guard(deps: Deps, context: BoltContext, team_id: str, user_id: str, what: str) -> None:
    """Go on only if the person may change workspace settings; else the refusal, naming who can."""
    try:
        admin_service.require_settings_admin(deps, context.client, team_id=team_id, user_id=user_id, what=what)
    except admin_service.NotAllowed as refused:
        raise SettingsProblem(str(refused)) from None
