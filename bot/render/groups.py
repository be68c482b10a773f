"""The customer groups list that `/mindset groups` answers with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.services.groups import GroupOption
from bot.slack_text import BLOCKS_PER_MESSAGE_MAX, escape_mrkdwn

Blocks = list[dict[str, Any]]


def _add_button() -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": ids.GROUP_ADD,
        "text": {"type": "plain_text", "text": "Add a customer group"},
        "style": "primary",
        "value": "add",
    }


def groups_blocks(groups: Sequence[GroupOption], *, notice: str | None = None) -> Blocks:
    """One row per active group with a menu to rename or archive it, and a button to add one."""
    blocks: Blocks = []
    if notice:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": notice}]})
    if not groups:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        "*No customer groups yet.* Name the segments you serve (for example "
                        "_Small clinics_ or _Enterprise IT_) so that prouds and sorries can be "
                        "tagged with them and the digest can show each group, not the mass."
                    ),
                },
            }
        )
    else:
        heading = (
            f"*Customer groups ({len(groups)})*\nWrite a group's tag in `/proud` or `/sorry` to tag the entry with it."
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": heading}})
    room = BLOCKS_PER_MESSAGE_MAX - len(blocks) - 2
    for group in groups[:room]:
        blocks.append(
            {
                "type": "section",
                "block_id": f"group_{group.id}",
                "text": {
                    "type": "mrkdwn",
                    "text": f"• {escape_mrkdwn(group.name)}  ·  tag `{escape_mrkdwn(group.tag)}`",
                },
                "accessory": {
                    "type": "overflow",
                    "action_id": ids.GROUP_MENU,
                    "options": [
                        {
                            "text": {"type": "plain_text", "text": "Rename"},
                            "value": f"{ids.GROUP_MENU_RENAME}:{group.id}",
                        },
                        {
                            "text": {"type": "plain_text", "text": "Archive"},
                            "value": f"{ids.GROUP_MENU_ARCHIVE}:{group.id}",
                        },
                    ],
                },
            }
        )
    if len(groups) > room:
        hidden = len(groups) - room
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and {hidden} more not shown here."}],
            }
        )
    blocks.append({"type": "actions", "elements": [_add_button()]})
    return blocks


def groups_text(groups: Sequence[GroupOption]) -> str:
    if not groups:
        return "No customer groups yet."
    return "Customer groups: " + ", ".join(
        f"{escape_mrkdwn(group.name)} ({escape_mrkdwn(group.tag)})" for group in groups
    )
