"""The messages the bot sends on its own schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot import ids
from bot.engine.messages import Message
from bot.render.actions import action_blocks, action_list_blocks, action_text, day_label
from bot.render.entries import entry_blocks, entry_fallback, not_posted_message
from bot.services.actions import ActionCard
from bot.services.entries import EntryCard
from bot.services.success_index import IndexLine
from bot.slack_text import clip, escape_mrkdwn

Blocks = list[dict[str, Any]]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, 3000)}}


def reminder(card: ActionCard, today: date) -> Message:
    days = (card.due_date - today).days
    when = "tomorrow" if days == 1 else "today" if days <= 0 else f"in {days} days"
    intro = f":alarm_clock: A commitment of yours is due {when}. How is it going?"
    return Message(
        text=f"Reminder: {action_text(card, today)}",
        blocks=[_section(intro), *action_blocks(card, today)],
    )


def overdue(card: ActionCard, today: date, number: int) -> Message:
    if number == 1:
        intro = ":hourglass: This commitment passed its due date yesterday. Done, or does it need a new date?"
    else:
        intro = (
            f":hourglass: Still open, {(today - card.due_date).days} days after its due date. "
            "If it is done, say so; if it is not going to happen, drop it with a reason; "
            "otherwise give it a date you believe in."
        )
    return Message(text=f"Overdue: {action_text(card, today)}", blocks=[_section(intro), *action_blocks(card, today)])


def checkin(cards: Sequence[ActionCard], today: date) -> Message:
    heading = (
        f":wave: Good morning! Your weekly check-in: {len(cards)} open "
        f"commitment{'s' if len(cards) != 1 else ''}. A quick status on each keeps them alive."
    )
    blocks = action_list_blocks(cards, today, heading=heading, empty="Nothing open. Well done!")
    return Message(text=f"Weekly check-in: {len(cards)} open commitments", blocks=blocks)


def entry_post(card: EntryCard) -> Message:
    """An entry's channel message, posted by the engine when the post after the command was lost."""
    return Message(text=entry_fallback(card), blocks=entry_blocks(card))


def entry_not_posted(card: EntryCard, error: str) -> Message:
    """Told to the author, in a DM, when the channel refused the engine's post of their entry."""
    text = not_posted_message(card, error)
    return Message(text=text, blocks=[_section(text)])


def root_cause_nudge(card: EntryCard) -> Message:
    text = (
        ":mag: Two working days ago you logged a sorry. Do you know yet *why it happened*? "
        "Fixing the cause keeps it from happening to the next customer."
    )
    quoted = escape_mrkdwn(clip(card.text, 2500))
    return Message(
        text="Your sorry still has no root cause",
        blocks=[
            _section(text),
            _section(f">{quoted}".replace("\n", "\n>")),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.ADD_ROOT_CAUSE,
                        "text": {"type": "plain_text", "text": "Add root cause"},
                        "style": "primary",
                        "value": str(card.id),
                    }
                ],
            },
        ],
    )


def quarter_review(quarter: str, lines: Sequence[IndexLine], open_cards: Sequence[ActionCard], today: date) -> Message:
    summary = "\n".join(f"• {line.label}: *{line.percent}* ({line.kept} of {line.due} kept)" for line in lines)
    heading = (
        f":bar_chart: *Your Success Index for {quarter}*\n{summary}\n"
        "Kept means done on or before the date promised when the quarter began."
    )
    if open_cards:
        return Message(
            text=f"Your Success Index for {quarter}",
            blocks=action_list_blocks(
                open_cards,
                today,
                heading=heading + "\n\nStill open from that quarter: close, reschedule or drop each one.",
                empty="",
            ),
        )
    return Message(text=f"Your Success Index for {quarter}", blocks=[_section(heading)])


def handed_back(card: ActionCard, today: date, *, created_it: bool) -> Message:
    """Told to the new owner of an item whose owner asked the bot to forget them."""
    why = "you created it" if created_it else "you were the first of the people involved"
    intro = (
        f":handshake: A commitment came back to you, due {day_label(card.due_date)}: its owner asked "
        f"Customer Mindset to forget their data, and {why}, so you own it now. Hand it over or drop it "
        "if it is not yours to keep."
    )
    return Message(
        text=f"A commitment came back to you: {action_text(card, today)}",
        blocks=[_section(intro), *action_blocks(card, today)],
    )


@dataclass(frozen=True)
class Handover:
    """One hand-over of an action item, as it happened."""

    by: str
    old_owner: str
    new_owner: str


def _handed(handover: Handover, recipient: str) -> str:
    to = "you" if handover.new_owner == recipient else f"<@{handover.new_owner}>"
    return f"<@{handover.by}> handed it to {to}"


def assigned(
    card: ActionCard,
    today: date,
    *,
    by: str,
    reassigned: bool,
    recipient: str,
    handovers: Sequence[Handover] = (),
    created_too: bool = False,
) -> Message:
    """Told to the owner and the people involved when someone else creates an item or hands it over; hand-overs
    are told as they happened (several in a row in one message), not from who owns it when the message goes."""
    due = day_label(card.due_date)
    if handovers:
        last = handovers[-1]
        role = "owner" if last.new_owner == recipient else "involved"
        steps = ", then ".join(_handed(handover, recipient) for handover in handovers)
        now = "You are its owner now" if role == "owner" else f"<@{last.new_owner}> owns it now"
        if created_too:
            intro = f":handshake: <@{by}> made a commitment with you in it, due {due}. Since then {steps}. {now}."
        elif len(handovers) == 1 and role == "owner":
            intro = f":handshake: <@{last.by}> handed you a commitment, due {due}: you are its owner now."
        elif len(handovers) == 1:
            intro = (
                f":handshake: <@{last.by}> handed a commitment you are involved in to <@{last.new_owner}> (due {due})."
            )
        else:
            intro = (
                f":handshake: A commitment you are part of changed hands {len(handovers)} times: {steps}. "
                f"Due {due}. {now}."
            )
        return Message(
            text=f"New commitment ({role}): {action_text(card, today)}",
            blocks=[_section(intro), *action_blocks(card, today)],
        )
    if recipient == card.owner_id:
        role = "owner"
        intro = (
            f":handshake: <@{by}> handed you a commitment, due {due}: you are its owner now."
            if reassigned
            else f":handshake: <@{by}> made you the owner of a commitment, due {due}."
        )
    else:
        role = "involved"
        intro = (
            f":handshake: <@{by}> handed a commitment you are involved in to <@{card.owner_id}> (due {due})."
            if reassigned
            else f":handshake: <@{by}> involved you in their commitment, due {due}."
            if by == card.owner_id
            else f":handshake: <@{by}> involved you in a commitment owned by <@{card.owner_id}>, due {due}."
        )
    return Message(
        text=f"New commitment ({role}): {action_text(card, today)}",
        blocks=[_section(intro), *action_blocks(card, today)],
    )
