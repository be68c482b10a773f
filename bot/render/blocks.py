"""The Block Kit pieces every renderer builds with: text objects, sections, buttons, form inputs."""

from __future__ import annotations

import json
from typing import Any

from bot.slack_text import OPTION_TEXT_MAX, SECTION_TEXT_MAX, clip

Block = dict[str, Any]


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(clip(text, OPTION_TEXT_MAX)), "value": value}


def section(text: str, *, accessory: dict[str, Any] | None = None) -> Block:
    """A mrkdwn section, its text clipped to Slack's 3,000 characters."""
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT_MAX)}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_TEXT_MAX)}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def input_block(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> Block:
    """A form field: `element` under `label`, optional or not, with a hint under it."""
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label), "element": element}
    if optional:
        block["optional"] = True
    if hint:
        block["hint"] = plain(hint)
    return block


def metadata_json(metadata: dict[str, Any]) -> str:
    """A modal's private metadata, leaving out what is None (it has 3,000 characters at most)."""
    return json.dumps({key: value for key, value in metadata.items() if value is not None}, separators=(",", ":"))
