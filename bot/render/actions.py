"""Action items: how one looks, its buttons, and the lists of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot import ids
from bot.services.actions import ActionCard, Horizon, is_stuck
from bot.slack_text import BLOCKS_PER_MESSAGE_MAX, clip, escape_mrkdwn
from storage.models import ActionStatus

Blocks = list[dict[str, Any]]

STATUS_LABEL = {
    ActionStatus.OPEN: "Open",
    ActionStatus.ON_TRACK: "On track",
    ActionStatus.AT_RISK: "At risk",
    ActionStatus.DONE: "Done",
    ActionStatus.DROPPED: "Dropped",
}
STATUS_EMOJI = {
    ActionStatus.OPEN: ":white_circle:",
    ActionStatus.ON_TRACK: ":large_green_circle:",
    ActionStatus.AT_RISK: ":large_orange_circle:",
    ActionStatus.DONE: ":white_check_mark:",
    ActionStatus.DROPPED: ":heavy_multiplication_x:",
}
HORIZON_LABEL = {Horizon.SHORT: "short term", Horizon.LONG: "long term"}


def day_label(day: date) -> str:
    """ "Friday 5 December 2026": unambiguous in every locale."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def due_phrase(card: ActionCard, today: date) -> str:
    days = (card.due_date - today).days
    if days == 0:
        when = "today"
    elif days == 1:
        when = "tomorrow"
    elif days > 1:
        when = f"in {days} days"
    elif days == -1:
        when = "1 day overdue"
    else:
        when = f"{-days} days overdue"
    moved = f" (first promised for {day_label(card.original_due_date)})" if card.rescheduled else ""
    return f"due {day_label(card.due_date)}, {when}{moved}"


def action_summary(card: ActionCard, today: date) -> str:
    """One mrkdwn paragraph: title, status, owner, due date, outcome, people, groups."""
    lines = [
        f"{STATUS_EMOJI[card.status]} *{escape_mrkdwn(clip(card.title, 150))}*",
        f"{STATUS_LABEL[card.status]} · owner <@{card.owner_id}> · {due_phrase(card, today)} · "
        f"{HORIZON_LABEL[card.horizon]}",
    ]
    if card.desired_outcome:
        lines.append(f"_Desired outcome:_ {escape_mrkdwn(clip(card.desired_outcome, 600))}")
    if card.involved:
        lines.append("_With:_ " + ", ".join(f"<@{user}>" for user in card.involved[:20]))
    if card.group_names:
        lines.append("_Customer groups:_ " + ", ".join(escape_mrkdwn(name) for name in card.group_names))
    if is_stuck(card, today):
        lines.append(":warning: _Stuck: overdue for three nudges running._")
    return clip("\n".join(lines), 3000)


def status_value(card: ActionCard) -> str:
    """A status button's value: the item and the status it had when drawn (`<id>:<status>`), so a click
    on an item someone changed meanwhile is told so rather than applied (see `set_status`)."""
    return f"{card.id}:{card.status.value}"


def _button(
    text: str, action_id: str, card: ActionCard, style: str | None = None, *, value: str | None = None
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value or str(card.id),
    }
    if style:
        button["style"] = style
    return button


def action_buttons(card: ActionCard, *, full: bool = True) -> dict[str, Any]:
    """Done, on track, at risk; with `full`, also add a note, move the date, hand over and drop.

    A closed item has one button: reopen it (a "done" clicked by mistake is one click away from undone).
    """
    if not card.is_open:
        elements = [_button("Reopen", ids.ACTION_REOPEN, card, value=status_value(card))]
    else:
        elements = [
            _button("Done", ids.ACTION_DONE, card, "primary", value=status_value(card)),
            _button("On track", ids.ACTION_ON_TRACK, card, value=status_value(card)),
            _button("At risk", ids.ACTION_AT_RISK, card, value=status_value(card)),
        ]
        if full:
            elements += [
                _button("Add a note", ids.ACTION_NOTE, card),
                _button("Move the date", ids.ACTION_MOVE, card),
                _button("Hand over", ids.ACTION_HAND_OVER, card),
                _button("Drop", ids.ACTION_DROP, card, "danger"),
            ]
    return {"type": "actions", "block_id": f"{item_block_prefix(card.id)}buttons", "elements": elements}


def item_block_prefix(action_id: int) -> str:
    """Every block showing one item carries this prefix, so the item can be refreshed in place."""
    return f"action_{action_id}_"


def action_blocks(card: ActionCard, today: date, *, buttons: bool = True) -> Blocks:
    blocks: Blocks = [
        {
            "type": "section",
            "block_id": f"{item_block_prefix(card.id)}card",
            "text": {"type": "mrkdwn", "text": action_summary(card, today)},
        }
    ]
    if buttons:
        blocks.append(action_buttons(card))
    return blocks


def refresh_item(blocks: Sequence[dict[str, Any]], card: ActionCard, today: date) -> Blocks:
    """The message's blocks with this item's blocks replaced by its current state (others untouched)."""
    prefix = item_block_prefix(card.id)
    fresh = action_blocks(card, today)
    refreshed: Blocks = []
    placed = False
    for block in blocks:
        if str(block.get("block_id", "")).startswith(prefix):
            if not placed:
                refreshed += fresh
                placed = True
            continue
        refreshed.append(block)
    return refreshed if placed else [*blocks, *fresh]


def action_list_blocks(
    cards: Sequence[ActionCard], today: date, *, heading: str, empty: str, limit_note: str | None = "`/action list`"
) -> Blocks:
    """A heading and as many items (each with its buttons) as fit in one message."""
    blocks: Blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": heading}}]
    if not cards:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": empty}]})
        return blocks
    room = BLOCKS_PER_MESSAGE_MAX - len(blocks) - 1
    shown = 0
    for card in cards:
        item = action_blocks(card, today)
        if len(item) > room:
            break
        blocks += item
        room -= len(item)
        shown += 1
    if shown < len(cards):
        more = len(cards) - shown
        where = f": see {limit_note}." if limit_note else ", due later; they show here as these close."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"…and {more} more{where}"}]})
    return blocks


def action_text(card: ActionCard, today: date) -> str:
    """One line for a message's fallback `text`, which Slack reads as mrkdwn too: the title escaped."""
    return f"{escape_mrkdwn(clip(card.title, 150))} ({STATUS_LABEL[card.status]}, {due_phrase(card, today)})"


def person_list_blocks(cards: Sequence[ActionCard], today: date) -> Blocks:
    """What `/action list` answers: the person's open items, owned or involved, soonest due first."""
    count = len(cards)
    heading = f"*Your open action items ({count})*" if count else "*Your open action items*"
    empty = "Nothing open. Commit to the next step for a customer with `/action`."
    return action_list_blocks(cards, today, heading=heading, empty=empty, limit_note=None)


def person_list_text(cards: Sequence[ActionCard], today: date) -> str:
    if not cards:
        return "You have no open action items."
    return clip("Your open action items:\n" + "\n".join(action_text(card, today) for card in cards), 3000)
