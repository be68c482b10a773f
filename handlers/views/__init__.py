"""Modal submission listeners."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot import ids
from bot.deps import Deps, bind
from bot.errors import in_background
from handlers.views import action, action_updates, entry, futures, groups, journey, leads, meetings, root_cause


def register(app: App, deps: Deps) -> None:
    app.view(ids.ENTRY_MODAL)(
        ack=bind(entry.entry_submitted, deps),
        lazy=[bind(in_background(entry.after_entry_submitted), deps)],
    )
    app.view(ids.ROOT_CAUSE_MODAL)(
        ack=bind(root_cause.root_cause_submitted, deps),
        lazy=[bind(in_background(root_cause.after_root_cause_submitted), deps)],
    )
    app.view(ids.GROUP_ADD_MODAL)(
        ack=bind(groups.group_add_submitted, deps),
        lazy=[bind(in_background(groups.after_group_change), deps)],
    )
    app.view(ids.GROUP_RENAME_MODAL)(
        ack=bind(groups.group_rename_submitted, deps),
        lazy=[bind(in_background(groups.after_group_change), deps)],
    )
    app.view(ids.ACTION_MODAL)(
        ack=bind(action.action_submitted, deps),
        lazy=[bind(in_background(action.after_action_submitted), deps)],
    )
    for callback_id, submitted in (
        (ids.ACTION_NOTE_MODAL, action_updates.note_submitted),
        (ids.ACTION_MOVE_MODAL, action_updates.move_submitted),
        (ids.ACTION_HAND_OVER_MODAL, action_updates.hand_over_submitted),
        (ids.ACTION_DROP_MODAL, action_updates.drop_submitted),
    ):
        app.view(callback_id)(
            ack=bind(submitted, deps),
            lazy=[bind(in_background(action_updates.after_item_form), deps)],
        )
    meeting_forms: tuple[tuple[str, Callable[..., None], Callable[..., None]], ...] = (
        (ids.MEETING_MODAL, meetings.meeting_submitted, meetings.after_meeting_submitted),
        (ids.MEETING_ANSWER_MODAL, meetings.answer_submitted, meetings.after_answer_submitted),
        (ids.QUESTION_ADD_MODAL, meetings.question_submitted, meetings.after_question_submitted),
        (ids.LEAD_NOTE_MODAL, leads.note_submitted, leads.after_note),
        (ids.JOURNEY_MODAL, journey.journey_submitted, journey.after_journey_saved),
        (ids.FUTURE_MODAL, futures.propose_submitted, futures.after_proposed),
    )
    for callback_id, submitted, after in meeting_forms:
        app.view(callback_id)(ack=bind(submitted, deps), lazy=[bind(in_background(after), deps)])
