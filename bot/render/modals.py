"""Modals: logging an entry, adding a root cause, naming a customer group."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.render.blocks import option, plain
from bot.render.journey import stage_input
from bot.services.groups import GroupOption
from bot.slack_text import OPTION_TEXT_MAX, PLAIN_INPUT_MAX, ROOT_CAUSE_MAX, clip, escape_mrkdwn
from storage.models import AREA_LABELS, EntryKind

View = dict[str, Any]


def entry_modal(
    *,
    kind: EntryKind,
    groups: Sequence[GroupOption],
    metadata: dict[str, Any],
    initial_text: str = "",
    initial_channel: str | None = None,
    notice: str | None = None,
    stages: Sequence[str] = (),
) -> View:
    """The form behind `/proud`, `/sorry` and the message shortcuts; `notice` is said above the text."""
    proud = kind is EntryKind.PROUD
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append({"type": "context", "elements": [plain(clip(notice, 2000))]})
    blocks += [
        {
            "type": "input",
            "block_id": ids.ENTRY_TEXT_BLOCK,
            "label": plain("What went well for a customer?" if proud else "What went wrong for a customer?"),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.ENTRY_TEXT_INPUT,
                "multiline": True,
                "max_length": PLAIN_INPUT_MAX,
                **({"initial_value": initial_text[:PLAIN_INPUT_MAX]} if initial_text else {}),
            },
        }
    ]
    if groups:
        blocks.append(
            {
                "type": "input",
                "block_id": ids.ENTRY_GROUPS_BLOCK,
                "optional": True,
                "label": plain("Customer groups"),
                "element": {
                    "type": "multi_static_select",
                    "action_id": ids.ENTRY_GROUPS_INPUT,
                    "placeholder": plain("Which customers does it concern?"),
                    "options": [option(group.name, str(group.id)) for group in groups[:100]],
                },
            }
        )
    else:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "No customer groups yet: add them with `/mindset groups` to tag entries.",
                    }
                ],
            }
        )
    blocks.append(
        {
            "type": "input",
            "block_id": ids.ENTRY_AREA_BLOCK,
            "optional": True,
            "label": plain("Area"),
            "element": {
                "type": "static_select",
                "action_id": ids.ENTRY_AREA_INPUT,
                "placeholder": plain("Where does it belong?"),
                "options": [option(label, area.value) for area, label in AREA_LABELS.items()],
            },
        }
    )
    if stages:
        blocks.append(stage_input(ids.ENTRY_STAGE_BLOCK, ids.ENTRY_STAGE_INPUT, stages))
    channel_element: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": ids.ENTRY_CHANNEL_INPUT,
        "placeholder": plain("Channel to share in"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if initial_channel:
        channel_element["initial_conversation"] = initial_channel
    else:
        channel_element["default_to_current_conversation"] = True
    blocks.append(
        {
            "type": "input",
            "block_id": ids.ENTRY_CHANNEL_BLOCK,
            "label": plain("Share in"),
            "element": channel_element,
        }
    )
    return {
        "type": "modal",
        "callback_id": ids.ENTRY_MODAL,
        "title": plain("Log a proud" if proud else "Log a sorry"),
        "submit": plain("Log it"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps({"kind": kind.value, **metadata}, separators=(",", ":")),
        "blocks": blocks,
    }


ROOT_CAUSE_VERSIONS_SHOWN = 3


def root_cause_modal(
    *,
    entry_id: int,
    entry_text: str,
    metadata: dict[str, Any],
    current: str | None = None,
    current_by: str | None = None,
    history: Sequence[tuple[str, str | None]] = (),
) -> View:
    """The form for "why did this happen?", filled with the current root cause when there is one; who wrote it
    and the versions before it are shown above, and what it replaces is kept in the sorry's history."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.ROOT_CAUSE_INPUT,
        "multiline": True,
        "max_length": ROOT_CAUSE_MAX,
    }
    about: list[dict[str, Any]] = [{"type": "context", "elements": [plain(clip(entry_text, 2000))]}]
    if current:
        element["initial_value"] = current[:ROOT_CAUSE_MAX]
        writer = f"<@{current_by}>" if current_by else "someone no longer here"
        about.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"The root cause below was written by {writer}. Change it as you see it: the post "
                        "shows yours, and this one is kept in the sorry's history.",
                    }
                ],
            }
        )
    for text, by in list(history)[-ROOT_CAUSE_VERSIONS_SHOWN:]:
        writer = f"<@{by}>" if by else "someone no longer here"
        quoted = escape_mrkdwn(clip(" ".join(text.split()), 600))
        about.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Earlier, by {writer}: _{quoted}_"}]})
    return {
        "type": "modal",
        "callback_id": ids.ROOT_CAUSE_MODAL,
        "title": plain("Root cause"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps({"entry_id": entry_id, **metadata}, separators=(",", ":")),
        "blocks": [
            *about,
            {
                "type": "input",
                "block_id": ids.ROOT_CAUSE_BLOCK,
                "label": plain("Why did this happen?"),
                "hint": plain("Look past the patch: what made it possible, and what would stop it recurring?"),
                "element": element,
            },
        ],
    }


def group_name_modal(*, callback_id: str, title: str, metadata: dict[str, Any], initial: str = "") -> View:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.GROUP_NAME_INPUT,
        "max_length": OPTION_TEXT_MAX,
        "placeholder": plain("e.g. Small clinics"),
    }
    if initial:
        element["initial_value"] = initial
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.GROUP_NAME_BLOCK,
                "label": plain("Customer group name"),
                "element": element,
            }
        ],
    }


def notice_view(*, title: str, text: str) -> View:
    """A modal that only tells something (used to answer a submit that could not be saved)."""
    return {
        "type": "modal",
        "title": plain(clip(title, 24)),
        "close": plain("Close"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}],
    }
