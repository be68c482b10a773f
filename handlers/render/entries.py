"""How an entry looks in a channel, and the short answers its author gets."""

from __future__ import annotations

from typing import Any

from bot.services.entries import EntryCard
from handlers import ids
from handlers.render.text import SECTION_TEXT_MAX, clip, escape_mrkdwn
from storage.models import EntryKind

KIND_LABEL = {EntryKind.PROUD: "Proud", EntryKind.SORRY: "Sorry"}
KIND_EMOJI = {EntryKind.PROUD: ":tada:", EntryKind.SORRY: ":pray:"}

Blocks = list[dict[str, Any]]


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def entry_heading(card: EntryCard) -> str:
    return f"{KIND_EMOJI[card.kind]} *{KIND_LABEL[card.kind]}* from <@{card.author_id}>"


def entry_tags(card: EntryCard) -> str | None:
    parts: list[str] = []
    if card.group_names:
        names = ", ".join(escape_mrkdwn(name) for name in card.group_names)
        parts.append(f"Customer groups: {names}")
    if card.area is not None:
        parts.append(f"Area: {card.area.label}")
    if card.source_permalink:
        parts.append(f"<{card.source_permalink}|Original message>")
    return " · ".join(parts) if parts else None


def entry_blocks(card: EntryCard) -> Blocks:
    """The channel message for an entry; a sorry shows its root cause or a button to add one."""
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(entry_heading(card))},
        {"type": "section", "text": _mrkdwn(escape_mrkdwn(card.text))},
    ]
    tags = entry_tags(card)
    if tags:
        blocks.append({"type": "context", "elements": [_mrkdwn(clip(tags, SECTION_TEXT_MAX))]})
    if card.kind is EntryKind.SORRY:
        if card.root_cause:
            why = clip(escape_mrkdwn(card.root_cause), SECTION_TEXT_MAX - 40)
            blocks.append({"type": "section", "text": _mrkdwn(f"*Why did this happen?*\n{why}")})
            if card.root_cause_by:
                blocks.append(
                    {
                        "type": "context",
                        "elements": [_mrkdwn(f"Root cause added by <@{card.root_cause_by}>")],
                    }
                )
        else:
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"sorry_{card.id}",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": ids.ADD_ROOT_CAUSE,
                            "text": {"type": "plain_text", "text": "Add root cause"},
                            "value": str(card.id),
                        }
                    ],
                }
            )
    return blocks


def entry_fallback(card: EntryCard) -> str:
    """Plain text for notifications and clients that cannot show blocks."""
    return clip(f"{KIND_LABEL[card.kind]} from <@{card.author_id}>: {escape_mrkdwn(card.text)}", 3000)


def saved_confirmation(card: EntryCard) -> str:
    what = "proud" if card.kind is EntryKind.PROUD else "sorry"
    follow = (
        " Thank you for sharing it."
        if card.kind is EntryKind.PROUD
        else " Thank you for owning it. Add the root cause when you know why it happened."
    )
    return f"Saved your {what} (#{card.id}); posting it in <#{card.channel_id}>.{follow}"


def not_posted_message(card: EntryCard, error: str) -> str:
    """Told to the author when the bot could not post the entry: it is saved all the same."""
    where = f"<#{card.channel_id}>"
    if error in {"not_in_channel", "channel_not_found"}:
        how = (
            f"I'm not a member of {where}, so I could not post it there. "
            "Add me with `/invite @Customer Mindset` (or the channel's *Integrations* tab) "
            "and log your next one here, or share in a channel I'm in."
        )
    elif error == "is_archived":
        how = f"{where} is archived, so I could not post it there."
    else:
        how = f"Slack would not let me post it in {where} (`{error}`)."
    return f"Your entry #{card.id} is saved and counts in the digest. {how}"
