"""Buttons that open the entry form (on the Home tab)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.render.modals import entry_modal
from bot.services import groups as group_service
from bot.services import journey as journey_service
from storage.models import EntryKind


def open_entry_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient, deps: Deps) -> None:
    try:
        kind = EntryKind(str(action.get("value")))
    except ValueError:
        kind = EntryKind.PROUD
    groups = group_service.list_options(deps, team_id=body["team"]["id"])
    stages = journey_service.stage_options(deps, team_id=body["team"]["id"])
    client.views_open(
        trigger_id=body["trigger_id"],
        view=entry_modal(kind=kind, groups=groups, metadata={"home": True}, stages=stages),
    )
