"""The Home tab: log a proud or a sorry, and see your recent ones."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.services import entries as entry_service
from handlers.render.home import home_view


def publish_home(event: dict[str, Any], context: Any, client: WebClient, deps: Deps) -> None:
    if event.get("tab") not in (None, "home"):
        return
    user_id = event["user"]
    recent = entry_service.recent_cards(deps, team_id=context["team_id"], author_id=user_id, limit=10)
    client.views_publish(user_id=user_id, view=home_view(recent))
