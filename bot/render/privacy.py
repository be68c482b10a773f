"""What `/mindset forget me` shows before and after."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.slack_text import escape_mrkdwn
from storage.repositories.erasure import PersonRows

Blocks = list[dict[str, Any]]


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


HANDED_BACK_SHOWN = 10


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _deleted(rows: PersonRows) -> str:
    parts = []
    if rows.entries:
        parts.append(f"your {_count(rows.entries, 'proud or sorry', 'prouds and sorries')} (and their posts)")
    if rows.answers:
        parts.append(f"your {_count(rows.answers, 'meeting answer', 'meeting answers')}")
    if rows.items_deleted:
        parts.append(
            f"the {_count(rows.items_deleted, 'action item', 'action items')} you own that no one else created "
            "or is involved in"
        )
    if rows.lead_reviews:
        parts.append(
            f"your {_count(rows.lead_reviews, 'quarterly review', 'quarterly reviews')} with your lead or your "
            "reports (both notes) and your lead links"
        )
    if rows.futures_deleted:
        parts.append(
            f"the {_count(rows.futures_deleted, 'ideal future', 'ideal futures')} you proposed (with their "
            "endorsements)"
        )
    if rows.endorsements:
        parts.append(f"your {_count(rows.endorsements, 'endorsement', 'endorsements')} of ideal futures")
    kept = (
        f" The {_count(rows.futures_kept, 'future', 'futures')} you proposed that the workspace adopted (a common "
        "future, or one action items serve) " + ("stays" if rows.futures_kept == 1 else "stay") + ", without your name."
        if rows.futures_kept
        else ""
    )
    if not parts:
        return f"*Forget me* finds no prouds, sorries, meeting answers or action items of yours to delete.{kept}"
    return f"*Forget me* deletes, for good: {_listed(parts)}.{kept}"


def _handed_back(rows: PersonRows) -> str:
    if not rows.handed_back:
        return ""
    lines = []
    for back in rows.handed_back[:HANDED_BACK_SHOWN]:
        why = "who created it" if back.to_creator else "the first person involved"
        told = ", who I tell" if back.is_open else ""
        lines.append(f"• _{escape_mrkdwn(back.title)}_ goes to <@{back.to}> ({why}{told})")
    more = len(rows.handed_back) - HANDED_BACK_SHOWN
    if more > 0:
        lines.append(f"• …and {_count(more, 'more item', 'more items')}, each to its creator or first person involved")
    which = (
        "The action item you own that others share is"
        if len(rows.handed_back) == 1
        else ("The action items you own that others share are")
    )
    return f"\n{which} handed back, not deleted:\n" + "\n".join(lines)


def forget_blocks(rows: PersonRows) -> Blocks:
    leave = (
        f"You leave the {_count(rows.involved_in, 'item', 'items')} others own that you are involved in, you stop "
        if rows.involved_in
        else "You stop "
    )
    text = (
        f":warning: {_deleted(rows)}{_handed_back(rows)}\n{leave}being an ambassador, and I forget your time zone "
        "and any pause. In others' records your name is replaced. Want a copy first?"
    )
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.FORGET_COPY,
                    "text": {"type": "plain_text", "text": "Send me a copy first"},
                    "value": "copy",
                },
                {
                    "type": "button",
                    "action_id": ids.FORGET_CONFIRM,
                    "text": {"type": "plain_text", "text": "Delete my data"},
                    "style": "danger",
                    "value": "forget",
                    "confirm": {
                        "title": {"type": "plain_text", "text": "Delete your data?"},
                        "text": {"type": "plain_text", "text": "This cannot be undone."},
                        "confirm": {"type": "plain_text", "text": "Delete it"},
                        "deny": {"type": "plain_text", "text": "Keep it"},
                        "style": "danger",
                    },
                },
            ],
        },
    ]


FORGET_TEXT = (
    "Forget me: deletes your entries, meeting answers and the action items only you are part of, for good; "
    "items you own that others share go back to them."
)
FORGOTTEN = (
    ":white_check_mark: Done: your data is deleted and the posts of your entries removed. If you use the bot "
    "again, it starts afresh."
)
COPY_SENT = "I sent you a copy of your data in a direct message."
