"""Meetings: the opening question and its answers, `/meeting list`, the question library, help."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import ids
from bot.meetings.schedule import describe, next_occurrence
from bot.render.blocks import button, context, section
from bot.services.meetings import (
    OPENING_QUESTION,
    OUTSIDE,
    TEAM,
    TEAM_QUESTION,
    AnswerCard,
    MeetingCard,
    PromptCard,
    group_subject,
)
from bot.services.questions import QuestionCard
from bot.slack_text import BLOCKS_PER_MESSAGE_MAX, SECTION_TEXT_MAX, clip, escape_mrkdwn
from storage.models import PromptTarget

Blocks = list[dict[str, Any]]

# answers shown in a prompt's message, one section each; more are counted (the form shows them all)
GROUPS_SHOWN_MAX = 40
ANSWER_SHOWN_MAX = 600


def slack_time(moment: datetime, pattern: str = "{date_short_pretty} at {time}") -> str:
    """A time Slack shows in each reader's own time zone; the fallback is UTC."""
    epoch = int(moment.timestamp())
    return f"<!date^{epoch}^{pattern}|{moment:%Y-%m-%d %H:%M} UTC>"


def _answered(label: str, answer: AnswerCard | None) -> dict[str, Any]:
    if answer is None:
        return section(f"*{label}*\n_No answer yet_")
    text = escape_mrkdwn(clip(answer.text, ANSWER_SHOWN_MAX))
    if len(answer.text) > ANSWER_SHOWN_MAX:
        text = clip(text, SECTION_TEXT_MAX - len(label) - 200) + (
            f"\n_(shortened here: {len(answer.text):,} characters in all; *Answer* shows the whole of it)_"
        )
    return section(
        f"*{label}*\n{text}",
        accessory=button("Make it an action", ids.MEETING_ANSWER_TO_ACTION, str(answer.id)),
    )


def prompt_blocks(card: PromptCard) -> Blocks:
    """The opening question, one line per customer group with its answer, the team question, a follow-up."""
    heading = f":busts_in_silhouette: *{escape_mrkdwn(card.title)}*"
    if card.starts_at is not None:
        heading += f" starts {slack_time(card.starts_at)}."
    blocks: Blocks = [section(heading), section(f"*{OPENING_QUESTION}*")]
    if not card.groups:
        blocks.append(
            context("No customer groups yet: add them with `/mindset groups` to answer for each, not the mass.")
        )
    shown = card.groups[:GROUPS_SHOWN_MAX]
    for group in shown:
        blocks.append(_answered(escape_mrkdwn(group.name), card.answer_for(group_subject(group.id))))
    hidden = card.groups[GROUPS_SHOWN_MAX:]
    if hidden:
        answered = sum(card.answer_for(group_subject(group.id)) is not None for group in hidden)
        blocks.append(context(f"…and {len(hidden)} more customer groups ({answered} answered): see *Answer*."))
    blocks.append(_answered("Customers outside any group", card.answer_for(OUTSIDE)))
    blocks.append(section(f"*{TEAM_QUESTION}*"))
    blocks.append(_answered("Each of us, and the team", card.answer_for(TEAM)))
    if card.question_text:
        blocks.append(context(f":thought_balloon: Also ask: _{escape_mrkdwn(card.question_text)}_"))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"prompt_{card.id}",
            "elements": [button("Answer", ids.MEETING_ANSWER, str(card.id), "primary")],
        }
    )
    return blocks[:BLOCKS_PER_MESSAGE_MAX]


def prompt_text(card: PromptCard) -> str:
    return clip(f"{escape_mrkdwn(card.title)}: {OPENING_QUESTION}", 3000)


# -- /meeting list -------------------------------------------------------------------------------


def _where(card: MeetingCard) -> str:
    if card.prompt_to is PromptTarget.CHANNEL and card.channel_id:
        return f"asked in <#{card.channel_id}>"
    channel = f", meets in <#{card.channel_id}>" if card.channel_id else ""
    return f"asked to <@{card.owner_id}> by DM{channel}"


def meeting_summary(card: MeetingCard, now: datetime) -> str:
    nxt = next_occurrence(card.schedule, after=now)
    if card.paused:
        when = ":double_vertical_bar: Paused: no questions until it is resumed."
    elif nxt is None:
        when = "No meeting to come."
    else:
        when = f"Next: {slack_time(nxt.starts_at)}, the question {card.lead_minutes} minutes before."
    return clip(
        f"*{escape_mrkdwn(card.title)}*\n{escape_mrkdwn(describe(card.schedule))} · {_where(card)}\n{when}",
        SECTION_TEXT_MAX,
    )


def meeting_list_blocks(cards: Sequence[MeetingCard], now: datetime, *, notice: str | None = None) -> Blocks:
    blocks: Blocks = []
    if notice:
        blocks.append(context(notice))
    if not cards:
        blocks.append(
            section(
                "*No meetings registered yet.* `/meeting` registers one: before each occurrence I ask "
                "how it will be useful for each of our customer groups."
            )
        )
        return blocks
    blocks.append(section(f"*Your meetings ({len(cards)})*"))
    room = (BLOCKS_PER_MESSAGE_MAX - len(blocks) - 1) // 2
    for card in cards[:room]:
        toggle = (
            button("Resume", ids.MEETING_RESUME, str(card.id))
            if card.paused
            else button("Pause", ids.MEETING_PAUSE, str(card.id))
        )
        delete = button("Delete", ids.MEETING_DELETE, str(card.id), "danger")
        delete["confirm"] = {
            "title": {"type": "plain_text", "text": "Delete this meeting?"},
            "text": {"type": "plain_text", "text": clip(f"No more questions before “{card.title}”.", 300)},
            "confirm": {"type": "plain_text", "text": "Delete"},
            "deny": {"type": "plain_text", "text": "Keep it"},
            "style": "danger",
        }
        blocks.append({**section(meeting_summary(card, now)), "block_id": f"meeting_{card.id}"})
        blocks.append(
            {
                "type": "actions",
                "block_id": f"meeting_{card.id}_buttons",
                "elements": [button("Edit", ids.MEETING_EDIT, str(card.id)), toggle, delete],
            }
        )
    if len(cards) > room:
        blocks.append(context(f"…and {len(cards) - room} more not shown here."))
    return blocks


def meeting_list_text(cards: Sequence[MeetingCard]) -> str:
    if not cards:
        return "No meetings registered yet."
    return clip("Your meetings: " + ", ".join(escape_mrkdwn(card.title) for card in cards), 3000)


# -- the question library ------------------------------------------------------------------------


def questions_blocks(cards: Sequence[QuestionCard], *, notice: str | None = None) -> Blocks:
    blocks: Blocks = []
    if notice:
        blocks.append(context(notice))
    blocks.append(
        section(
            f"*Follow-up questions ({len(cards)})*\nEach meeting prompt adds one of these, in turn, "
            "so a meeting does not see the same one twice in a row."
        )
    )
    room = BLOCKS_PER_MESSAGE_MAX - len(blocks) - 2
    for card in cards[:room]:
        blocks.append(
            {
                **section(
                    f"• {escape_mrkdwn(card.text)}", accessory=button("Retire", ids.QUESTION_RETIRE, str(card.id))
                ),
                "block_id": f"question_{card.id}",
            }
        )
    if not cards:
        blocks.append(context("No questions in the rotation: prompts come without a follow-up until you add one."))
    blocks.append({"type": "actions", "elements": [button("Add a question", ids.QUESTION_ADD, "add", "primary")]})
    return blocks


def questions_text(cards: Sequence[QuestionCard]) -> str:
    return clip("Follow-up questions: " + " / ".join(escape_mrkdwn(card.text) for card in cards), 3000)


MEETING_HELP = (
    "*Meetings open with the customer.* Before each registered meeting I ask: "
    f"_{OPENING_QUESTION}_, one answer per customer group, and _{TEAM_QUESTION}_\n"
    "• `/meeting`: registers a meeting (once, weekly, every other week or monthly, in its own time zone; the "
    "question comes 10 minutes before unless you choose otherwise, to the owner or in the channel)\n"
    "• `/meeting list`: your meetings, to edit, pause, resume or delete\n"
    "• `/meeting now [title]`: asks the opening question in this channel right away\n"
    "• `/mindset questions`: the follow-up questions, to add or retire"
)
