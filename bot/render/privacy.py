"""What `/mindset forget me` shows before and after."""

from __future__ import annotations

from typing import Any

from bot import ids
from storage.repositories.erasure import PersonRows

Blocks = list[dict[str, Any]]


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def forget_blocks(rows: PersonRows) -> Blocks:
    parts = [
        f"your {_count(rows.entries, 'proud or sorry', 'prouds and sorries')} (and their posts)"
        if rows.entries
        else "",
        f"the {_count(rows.action_items, 'action item', 'action items')} you own" if rows.action_items else "",
        f"your {_count(rows.answers, 'meeting answer', 'meeting answers')}" if rows.answers else "",
    ]
    listed = [part for part in parts if part]
    if not listed:
        what = "nothing you wrote (you have no prouds, sorries, action items or meeting answers)"
    else:
        what = ", ".join(listed[:-1]) + (" and " if len(listed) > 1 else "") + listed[-1]
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": (
                    f":warning: *Forget me* deletes, for good: {what}. You leave the items others own, you stop "
                    "being an ambassador, and I forget your time zone and any pause. In others' records your name "
                    "is replaced. Want a copy first?"
                ),
            },
        },
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


FORGET_TEXT = "Forget me: deletes your entries, action items and meeting answers for good."
FORGOTTEN = (
    ":white_check_mark: Done: your data is deleted and the posts of your entries removed. If you use the bot "
    "again, it starts afresh."
)
COPY_SENT = "I sent you a copy of your data in a direct message."
