"""The forms of meetings: register (or edit) one, answer the opening question, add a follow-up question."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from bot import ids
from bot.meetings.schedule import Repeat
from bot.render.blocks import input_block, metadata_json, option, plain
from bot.render.modals import View
from bot.services.meetings import (
    ANSWER_MAX,
    DEFAULT_LEAD,
    LEAD_CHOICES,
    OPENING_QUESTION,
    OUTSIDE,
    TEAM,
    TEAM_QUESTION,
    TITLE_MAX,
    MeetingCard,
    PromptCard,
    answer_fingerprint,
    group_subject,
)
from bot.services.questions import QUESTION_MAX
from bot.slack_text import BLOCKS_PER_VIEW_MAX, clip, escape_mrkdwn
from storage.models import PromptTarget

REPEAT_LABELS = {
    Repeat.WEEKLY: "Every week",
    Repeat.FORTNIGHTLY: "Every other week",
    Repeat.MONTHLY: "Every month, same weekday (e.g. the 2nd Tuesday)",
    Repeat.ONCE: "Once",
}
WEEKDAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TARGET_LABELS = {PromptTarget.OWNER: "To the owner, by DM", PromptTarget.CHANNEL: "In the meeting's channel"}


def meeting_modal(
    *,
    requester: str,
    today: date,
    tz: str,
    metadata: dict[str, Any],
    card: MeetingCard | None = None,
    channel: str | None = None,
) -> View:
    """The form behind `/meeting` (empty) and *Edit* in `/meeting list` (filled in with `card`)."""
    repeat = card.schedule.repeat if card else Repeat.WEEKLY
    weekdays = sorted(card.schedule.weekdays) if card else [today.isoweekday()]
    at = card.schedule.at if card else time(10, 0)
    lead = card.lead_minutes if card else DEFAULT_LEAD
    target = card.prompt_to if card else PromptTarget.OWNER
    channel_element: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": ids.MEETING_CHANNEL_INPUT,
        "placeholder": plain("The meeting's channel"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    initial_channel = card.channel_id if card else channel
    if initial_channel:
        channel_element["initial_conversation"] = initial_channel
    title_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.MEETING_TITLE_INPUT,
        "max_length": TITLE_MAX,
    }
    if card:
        title_element["initial_value"] = card.title
    blocks = [
        input_block(ids.MEETING_TITLE_BLOCK, "Meeting", title_element, hint="For example: Tuesday planning"),
        input_block(
            ids.MEETING_OWNER_BLOCK,
            "Owner",
            {
                "type": "users_select",
                "action_id": ids.MEETING_OWNER_INPUT,
                "initial_user": card.owner_id if card else requester,
            },
        ),
        input_block(
            ids.MEETING_REPEAT_BLOCK,
            "Repeats",
            {
                "type": "static_select",
                "action_id": ids.MEETING_REPEAT_INPUT,
                "options": [option(label, value.value) for value, label in REPEAT_LABELS.items()],
                "initial_option": option(REPEAT_LABELS[repeat], repeat.value),
            },
        ),
        input_block(
            ids.MEETING_DATE_BLOCK,
            "First meeting (or its day, if once)",
            {
                "type": "datepicker",
                "action_id": ids.MEETING_DATE_INPUT,
                "initial_date": (card.schedule.start if card else today).isoformat(),
            },
            hint="Every other week counts from the week of this day. Every month meets on this day's weekday "
            "and place in its month: the 2nd Tuesday, say, or the last Friday when this is day 29, 30 or 31.",
        ),
        input_block(
            ids.MEETING_WEEKDAYS_BLOCK,
            "On",
            {
                "type": "checkboxes",
                "action_id": ids.MEETING_WEEKDAYS_INPUT,
                "options": [option(name, str(day)) for day, name in enumerate(WEEKDAY_LABELS, start=1)],
                "initial_options": [option(WEEKDAY_LABELS[day - 1], str(day)) for day in weekdays],
            },
            optional=True,
            hint="For a weekly or every-other-week meeting. A one-off meets on its day, and a monthly one on its "
            "first meeting's weekday: the days ticked here are not used for either.",
        ),
        input_block(
            ids.MEETING_TIME_BLOCK,
            "Starts at",
            {"type": "timepicker", "action_id": ids.MEETING_TIME_INPUT, "initial_time": f"{at:%H:%M}"},
        ),
        input_block(
            ids.MEETING_TZ_BLOCK,
            "Time zone",
            {"type": "plain_text_input", "action_id": ids.MEETING_TZ_INPUT, "initial_value": tz, "max_length": 64},
            hint="An IANA name such as Europe/Berlin or America/New_York; the meeting keeps its local time "
            "through daylight-saving changes.",
        ),
        input_block(
            ids.MEETING_LEAD_BLOCK,
            "Ask the question",
            {
                "type": "static_select",
                "action_id": ids.MEETING_LEAD_INPUT,
                "options": [option(f"{minutes} minutes before", str(minutes)) for minutes in LEAD_CHOICES],
                "initial_option": option(f"{lead} minutes before", str(lead)),
            },
        ),
        input_block(
            ids.MEETING_TARGET_BLOCK,
            "Where",
            {
                "type": "radio_buttons",
                "action_id": ids.MEETING_TARGET_INPUT,
                "options": [option(label, value.value) for value, label in TARGET_LABELS.items()],
                "initial_option": option(TARGET_LABELS[target], target.value),
            },
        ),
        input_block(
            ids.MEETING_CHANNEL_BLOCK,
            "Channel",
            channel_element,
            optional=True,
            hint="Needed when the question is asked there.",
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.MEETING_MODAL,
        "title": plain("Edit meeting" if card else "Register a meeting"),
        "submit": plain("Save" if card else "Register"),
        "close": plain("Cancel"),
        "private_metadata": metadata_json({"meeting_id": card.id if card else None, **metadata}),
        "blocks": blocks,
    }


def meeting_saved_view(card: MeetingCard, summary: str, *, edited: bool, note: str | None = None) -> View:
    """What the form turns into once saved; `note` says what of the form was not used."""
    what = "Saved" if edited else "Registered"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f":white_check_mark: {what}. `/meeting list` shows your meetings."},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": summary}},
    ]
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(note)}]})
    return {
        "type": "modal",
        "title": plain(f"Meeting {what.lower()}"),
        "close": plain("Close"),
        "blocks": blocks,
    }


def _answer_input(card: PromptCard, subject: str, label: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.ANSWER_INPUT,
        "multiline": True,
        "max_length": ANSWER_MAX,
    }
    existing = card.answer_for(subject)
    if existing is not None:
        element["initial_value"] = clip(existing.text, ANSWER_MAX)
    return input_block(f"{ids.ANSWER_BLOCK_PREFIX}{subject}", clip(label, 150), element, optional=True)


def answer_modal(card: PromptCard, *, metadata: dict[str, Any]) -> View:
    """One field per customer group, one for customers outside any group, one for the team."""
    room = BLOCKS_PER_VIEW_MAX - 6
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{OPENING_QUESTION}*"}},
        *(_answer_input(card, group_subject(group.id), group.name) for group in card.groups[:room]),
        _answer_input(card, OUTSIDE, "Customers outside any group"),
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{TEAM_QUESTION}*"}},
        _answer_input(card, TEAM, "Each of us, and the team"),
    ]
    if card.question_text:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Also ask: _{escape_mrkdwn(card.question_text)}_"}],
            }
        )
    return {
        "type": "modal",
        "callback_id": ids.MEETING_ANSWER_MODAL,
        "title": plain(clip(card.title, 24)),
        "submit": plain("Save answers"),
        "close": plain("Cancel"),
        "private_metadata": metadata_json(
            {
                "prompt_id": card.id,
                # what each field showed, so that only the fields someone changed are saved
                "shown": {answer.subject: answer_fingerprint(answer.text) for answer in card.answers},
                **metadata,
            }
        ),
        "blocks": blocks,
    }


def question_modal(*, metadata: dict[str, Any]) -> View:
    return {
        "type": "modal",
        "callback_id": ids.QUESTION_ADD_MODAL,
        "title": plain("Add a question"),
        "submit": plain("Add"),
        "close": plain("Cancel"),
        "private_metadata": metadata_json(metadata),
        "blocks": [
            input_block(
                ids.QUESTION_TEXT_BLOCK,
                "Follow-up question",
                {
                    "type": "plain_text_input",
                    "action_id": ids.QUESTION_TEXT_INPUT,
                    "max_length": QUESTION_MAX,
                    "placeholder": plain("What would the customer say about this?"),
                },
            )
        ],
    }
