"""The Home tab: published when opened, and again after the person changes something from it."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.render.home import home_view
from bot.services.home import home_data


def publish_home(event: dict[str, Any], context: Any, client: WebClient, deps: Deps) -> None:
    if event.get("tab") not in (None, "home"):
        return
    publish_home_for(deps, client, team_id=context["team_id"], user_id=event["user"])


def publish_home_for(deps: Deps, client: WebClient, *, team_id: str, user_id: str, notice: str | None = None) -> None:
    """Draw the person's Home tab afresh, with a notice at the top when there is something to say."""
    data = home_data(deps, team_id=team_id, user_id=user_id)
    client.views_publish(user_id=user_id, view=home_view(data, notice=notice))
