""" "Log as proud" and "Log as sorry" on any message: the form, pre-filled, linked to the message."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.render.modals import entry_modal
from bot.render.replies import cut_from_form
from bot.services import groups as group_service
from bot.services import journey as journey_service
from bot.slack_client import hasty_copy
from bot.slack_text import PLAIN_INPUT_MAX, clip, mentioned_users, readable
from storage.models import EntryKind

log = logging.getLogger("mindset.shortcuts")

# the form must open within 3 seconds of the click: names are looked up for at most this long
NAMES_BUDGET_SECONDS = 1.2


def open_as_proud(shortcut: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    _open(EntryKind.PROUD, shortcut, client, respond, deps)


def open_as_sorry(shortcut: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    _open(EntryKind.SORRY, shortcut, client, respond, deps)


def _names(client: WebClient, user_ids: list[str]) -> dict[str, str]:
    """Display names of the people a message mentions, as many as Slack tells within the budget."""
    names: dict[str, str] = {}
    quick = hasty_copy(client)
    deadline = time.monotonic() + NAMES_BUDGET_SECONDS
    for user_id in user_ids:
        if time.monotonic() > deadline:
            break
        try:
            user = quick.users_info(user=user_id)["user"]
        except Exception:
            log.info("No name for %s; the form shows the id", user_id, exc_info=True)
            continue
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or profile.get("real_name") or user.get("name")
        if name:
            names[user_id] = str(name)
    return names


def _open(kind: EntryKind, shortcut: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id")
    groups = group_service.list_options(deps, team_id=shortcut["team"]["id"])
    raw = str(message.get("text") or "")
    text = readable(raw, _names(client, mentioned_users(raw)[:10]))
    prefill = clip(text, PLAIN_INPUT_MAX)
    client.views_open(
        trigger_id=shortcut["trigger_id"],
        view=entry_modal(
            kind=kind,
            groups=groups,
            metadata={"src_channel": channel, "src_ts": message.get("ts") or shortcut.get("message_ts")},
            initial_text=prefill,
            initial_channel=channel,
            stages=journey_service.stage_options(deps, team_id=shortcut["team"]["id"]),
            notice=None
            if prefill == text
            else f"The message has {len(text):,} characters and the form holds "
            f"{PLAIN_INPUT_MAX:,}: the start of it is filled in below, and I sent you the whole text privately.",
        ),
    )
    if prefill != text:
        respond(text=cut_from_form(text, PLAIN_INPUT_MAX), response_type="ephemeral", replace_original=False)
