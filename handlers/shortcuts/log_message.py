""" "Log as proud" and "Log as sorry" on any message: the form, pre-filled, linked to the message."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.deps import Deps
from bot.render.modals import entry_modal
from bot.services import groups as group_service
from storage.models import EntryKind


def open_as_proud(shortcut: dict[str, Any], client: WebClient, deps: Deps) -> None:
    _open(EntryKind.PROUD, shortcut, client, deps)


def open_as_sorry(shortcut: dict[str, Any], client: WebClient, deps: Deps) -> None:
    _open(EntryKind.SORRY, shortcut, client, deps)


def _open(kind: EntryKind, shortcut: dict[str, Any], client: WebClient, deps: Deps) -> None:
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id")
    groups = group_service.list_options(deps, team_id=shortcut["team"]["id"])
    client.views_open(
        trigger_id=shortcut["trigger_id"],
        view=entry_modal(
            kind=kind,
            groups=groups,
            metadata={"src_channel": channel, "src_ts": message.get("ts") or shortcut.get("message_ts")},
            initial_text=str(message.get("text") or ""),
            initial_channel=channel,
        ),
    )
