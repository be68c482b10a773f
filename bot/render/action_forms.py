"""The forms of action items: create one, add a note, move the date, hand it over, drop it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot import ids
from bot.render.actions import action_summary
from bot.render.blocks import input_block, metadata_json, option, plain
from bot.render.journey import stage_input
from bot.render.modals import View
from bot.services.actions import TEXT_MAX, TITLE_MAX, ActionCard
from bot.services.futures import FutureOption
from bot.services.groups import GroupOption
from bot.slack_text import clip, escape_mrkdwn
from storage.models import AREA_LABELS, Area

HORIZON_HINT = (
    "Short term: done within 6 months. Long term: up to 3 years ahead. "
    "Reminders come 7 days and 1 day before, in the owner's working hours."
)


def _text_element(action_id: str, *, max_length: int, multiline: bool = False, initial: str = "") -> dict:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "max_length": max_length,
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = clip(initial, max_length)
    return element


def action_modal(
    *,
    groups: Sequence[GroupOption],
    creator: str,
    metadata: dict[str, Any],
    initial_title: str = "",
    initial_outcome: str = "",
    initial_group_ids: Sequence[int] = (),
    initial_area: Area | None = None,
    sorry_text: str | None = None,
    context_text: str | None = None,
    stages: Sequence[str] = (),
    initial_stage: str | None = None,
    futures: Sequence[FutureOption] = (),
) -> View:
    """The form behind `/action`, a sorry's *Create action item* button and the Home tab. `futures`: the confirmed
    common futures it may serve (none: no such field)."""
    blocks: list[dict[str, Any]] = []
    if sorry_text:
        quoted = escape_mrkdwn(clip(" ".join(sorry_text.split()), 400))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"For the sorry: _{quoted}_"}]})
    if context_text:
        shown = escape_mrkdwn(clip(" ".join(context_text.split()), 400))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": shown}]})
    blocks += [
        input_block(
            ids.ACTION_TITLE_BLOCK,
            "What will be done?",
            _text_element(ids.ACTION_TITLE_INPUT, max_length=TITLE_MAX, initial=initial_title),
        ),
        input_block(
            ids.ACTION_OUTCOME_BLOCK,
            "Desired outcome for the customer",
            _text_element(ids.ACTION_OUTCOME_INPUT, max_length=TEXT_MAX, multiline=True, initial=initial_outcome),
            optional=True,
            hint="How will we know it worked, as the customer would see it?",
        ),
        input_block(
            ids.ACTION_OWNER_BLOCK,
            "Owner",
            {"type": "users_select", "action_id": ids.ACTION_OWNER_INPUT, "initial_user": creator},
        ),
        input_block(
            ids.ACTION_PEOPLE_BLOCK,
            "People involved",
            {"type": "multi_users_select", "action_id": ids.ACTION_PEOPLE_INPUT, "max_selected_items": 20},
            optional=True,
        ),
        input_block(
            ids.ACTION_DUE_BLOCK,
            "Done by",
            {"type": "datepicker", "action_id": ids.ACTION_DUE_INPUT, "placeholder": plain("Pick a date")},
            hint=HORIZON_HINT,
        ),
    ]
    if groups:
        by_id = {group.id: group for group in groups}
        element: dict[str, Any] = {
            "type": "multi_static_select",
            "action_id": ids.ACTION_GROUPS_INPUT,
            "placeholder": plain("Which customers does it serve?"),
            "options": [option(group.name, str(group.id)) for group in groups[:100]],
        }
        initial = [option(by_id[i].name, str(i)) for i in initial_group_ids if i in by_id]
        if initial:
            element["initial_options"] = initial
        blocks.append(input_block(ids.ACTION_GROUPS_BLOCK, "Customer groups", element, optional=True))
    area_element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.ACTION_AREA_INPUT,
        "placeholder": plain("Where does it belong?"),
        "options": [option(label, area.value) for area, label in AREA_LABELS.items()],
    }
    if initial_area is not None:
        area_element["initial_option"] = option(AREA_LABELS[initial_area], initial_area.value)
    blocks.append(input_block(ids.ACTION_AREA_BLOCK, "Area", area_element, optional=True))
    if stages:
        blocks.append(stage_input(ids.ACTION_STAGE_BLOCK, ids.ACTION_STAGE_INPUT, stages, initial_stage))
    if futures:
        future_element: dict[str, Any] = {
            "type": "static_select",
            "action_id": ids.ACTION_FUTURE_INPUT,
            "placeholder": plain("Which common future does it serve?"),
            "options": [option(f"{future.group_name}: {future.text}", str(future.id)) for future in futures[:100]],
        }
        blocks.append(
            input_block(
                ids.ACTION_FUTURE_BLOCK,
                "Common future it serves",
                future_element,
                optional=True,
                hint="The digest counts, per common future, the open items serving it and how many are kept.",
            )
        )
    return {
        "type": "modal",
        "callback_id": ids.ACTION_MODAL,
        "title": plain("New action item"),
        "submit": plain("Commit"),
        "close": plain("Cancel"),
        "private_metadata": metadata_json(metadata),
        "blocks": blocks,
    }


def action_saved_view(card: ActionCard, today: date, *, creator: str, serves: FutureOption | None = None) -> View:
    """What the form turns into once the item is saved; `serves`: the common future it serves, if any."""
    mine = card.owner_id == creator
    told = "" if mine else f"<@{card.owner_id}> is told now. "
    who = "You" if mine else f"<@{card.owner_id}>"
    days = (card.due_date - today).days
    if days >= 7:
        reminders = f"{who} will get a reminder 7 days and 1 day before it is due."
    elif days >= 2:
        reminders = f"{who} will get a reminder 1 day before it is due."
    elif days == 1:
        reminders = "It is due tomorrow, too soon for reminders; if it is still open after that, a nudge follows."
    else:
        reminders = "It is due today, too soon for reminders; if it is still open tomorrow, a nudge follows."
    text = f":white_check_mark: Committed. {told}{reminders} `/action list` shows your items."
    if serves is not None:
        text += (
            f"\n:star: It serves the common future of *{escape_mrkdwn(serves.group_name)}*: "
            f"_{escape_mrkdwn(clip(serves.text, 600))}_"
        )
    return {
        "type": "modal",
        "title": plain("Action item saved"),
        "close": plain("Close"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn", "text": action_summary(card, today)}},
        ],
    }


def _item_form(
    *, callback_id: str, title: str, submit: str, card: ActionCard, today: date, metadata: dict[str, Any], inputs: list
) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title),
        "submit": plain(submit),
        "close": plain("Cancel"),
        "private_metadata": metadata_json({"action_id": card.id, **metadata}),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": action_summary(card, today)}},
            *inputs,
        ],
    }


def note_modal(card: ActionCard, today: date, *, metadata: dict[str, Any]) -> View:
    note = input_block(
        ids.ACTION_NOTE_BLOCK,
        "Progress note",
        _text_element(ids.ACTION_NOTE_INPUT, max_length=TEXT_MAX, multiline=True),
        hint="What happened, what is next, what is in the way.",
    )
    return _item_form(
        callback_id=ids.ACTION_NOTE_MODAL,
        title="Add a note",
        submit="Save",
        card=card,
        today=today,
        metadata=metadata,
        inputs=[note],
    )


def move_modal(card: ActionCard, today: date, *, metadata: dict[str, Any]) -> View:
    due = input_block(
        ids.ACTION_DUE_BLOCK,
        "New date",
        {"type": "datepicker", "action_id": ids.ACTION_DUE_INPUT, "initial_date": card.due_date.isoformat()},
        hint="The first promise stays on record, so the Success Index still compares against it.",
    )
    why = input_block(
        ids.ACTION_NOTE_BLOCK,
        "Why does it move?",
        _text_element(ids.ACTION_NOTE_INPUT, max_length=TEXT_MAX, multiline=True),
        optional=True,
    )
    return _item_form(
        callback_id=ids.ACTION_MOVE_MODAL,
        title="Move the date",
        submit="Move",
        card=card,
        today=today,
        metadata=metadata,
        inputs=[due, why],
    )


def hand_over_modal(card: ActionCard, today: date, *, metadata: dict[str, Any]) -> View:
    owner = input_block(
        ids.ACTION_OWNER_BLOCK,
        "New owner",
        {"type": "users_select", "action_id": ids.ACTION_OWNER_INPUT, "placeholder": plain("Who takes it on?")},
        hint="They are told at once, with buttons to update it.",
    )
    return _item_form(
        callback_id=ids.ACTION_HAND_OVER_MODAL,
        title="Hand it over",
        submit="Hand over",
        card=card,
        today=today,
        metadata=metadata,
        inputs=[owner],
    )


def drop_modal(card: ActionCard, today: date, *, metadata: dict[str, Any]) -> View:
    reason = input_block(
        ids.ACTION_REASON_BLOCK,
        "Why is it dropped?",
        _text_element(ids.ACTION_REASON_INPUT, max_length=TEXT_MAX, multiline=True),
        hint="Knowing why a commitment was let go helps the next one.",
    )
    return _item_form(
        callback_id=ids.ACTION_DROP_MODAL,
        title="Drop it",
        submit="Drop",
        card=card,
        today=today,
        metadata=metadata,
        inputs=[reason],
    )
