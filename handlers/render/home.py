"""The Home tab view."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.services.entries import EntryCard
from handlers import ids
from handlers.render.entries import KIND_EMOJI, KIND_LABEL
from handlers.render.text import clip, escape_mrkdwn
from storage.models import EntryKind


def _button(text: str, kind: EntryKind, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": ids.OPEN_PROUD_MODAL if kind is EntryKind.PROUD else ids.OPEN_SORRY_MODAL,
        "text": {"type": "plain_text", "text": text},
        "value": kind.value,
    }
    if style:
        button["style"] = style
    return button


def home_view(recent: Sequence[EntryCard]) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Customer Mindset"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    "Share how customers were served: a *proud* when it went well, a *sorry* when it did not. "
                    "Turn what you learn into an *action item* with an owner and a date."
                ),
            },
        },
        {
            "type": "actions",
            "elements": [
                _button("Log a proud", EntryKind.PROUD, "primary"),
                _button("Log a sorry", EntryKind.SORRY),
                {
                    "type": "button",
                    "action_id": ids.OPEN_ACTION_MODAL,
                    "text": {"type": "plain_text", "text": "Create an action item"},
                    "value": "action",
                },
            ],
        },
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Your recent entries*"}},
    ]
    if not recent:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Nothing yet: try `/proud` in any channel."}],
            }
        )
    for card in recent[:20]:
        heading = f"{KIND_EMOJI[card.kind]} *{KIND_LABEL[card.kind]}* in <#{card.channel_id}>"
        line = f"{heading}: {escape_mrkdwn(clip(card.text, 300))}"
        if card.kind is EntryKind.SORRY and not card.root_cause:
            line += "\n_No root cause yet._"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
    return {"type": "home", "blocks": blocks}
