"""What a Workflow Builder step says when it ends in error (plain text: Slack shows it in the workflow's
activity, where mrkdwn and `<#C…>` links are not drawn)."""

from __future__ import annotations

from datetime import date

from bot.render.actions import Blocks, action_blocks, action_text
from bot.services.actions import ActionCard

NOT_POSTED_HOW = {
    "not_in_channel": "I'm not a member of it. Add me with /invite @Customer Mindset, or choose a channel I'm in.",
    "channel_not_found": "I'm not a member of it. Add me with /invite @Customer Mindset, or choose a channel I'm in.",
    "is_archived": "it is archived. Choose another channel.",
    "team_access_not_granted": (
        "it belongs to a workspace I have not been given access to. An admin can add me to that workspace."
    ),
}
NOT_POSTED_OTHERWISE = "it does not take my posts (it may be read-only). Choose another channel."

STEP_BROKE = (
    "Something went wrong on Customer Mindset's side and it has been logged. "
    "Check whether the entry or action item appeared before running the step again."
)


def not_posted(what: str, number: int, channel_id: str, error: str) -> str:
    """A proud, sorry or action item saved, whose post the channel refused."""
    how = NOT_POSTED_HOW.get(error, NOT_POSTED_OTHERWISE)
    return f"The {what} is saved as #{number} and counts, but I could not post it in channel {channel_id}: {how}"


def shared_action(card: ActionCard, today: date) -> tuple[str, Blocks]:
    """An action item a step shares in a channel: what was committed, by whom, by when (no buttons: its
    owner updates it from `/action list` and the nudges)."""
    heading = {"type": "context", "elements": [{"type": "mrkdwn", "text": "New commitment, from a workflow"}]}
    return action_text(card, today), [heading, *action_blocks(card, today, buttons=False)]
