"""Button and menu listeners."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from bot.deps import Deps, bind
from bot.errors import in_background
from handlers.acks import ack_only
from handlers.actions import action_items, entry, futures, groups, leads, meetings, privacy, root_cause


def register(app: App, deps: Deps) -> None:
    app.action(ids.ADD_ROOT_CAUSE)(
        ack=bind(ack_only, deps),
        lazy=[bind(in_background(root_cause.open_root_cause_modal), deps)],
    )
    for open_modal in (ids.OPEN_PROUD_MODAL, ids.OPEN_SORRY_MODAL):
        app.action(open_modal)(
            ack=bind(ack_only, deps),
            lazy=[bind(in_background(entry.open_entry_modal), deps)],
        )
    app.action(ids.GROUP_ADD)(
        ack=bind(ack_only, deps),
        lazy=[bind(in_background(groups.open_add_modal), deps)],
    )
    app.action(ids.GROUP_MENU)(
        ack=bind(groups.group_menu_chosen, deps),
        lazy=[bind(in_background(groups.after_group_menu), deps)],
    )
    app.action(ids.GROUP_RESTORE)(
        ack=bind(groups.restore_clicked, deps),
        lazy=[bind(in_background(groups.after_restore), deps)],
    )
    app.action(ids.QUESTION_RESTORE)(
        ack=bind(meetings.restore_clicked, deps),
        lazy=[bind(in_background(meetings.after_restore), deps)],
    )
    for button in ids.ACTION_STATUS_BUTTONS:
        app.action(button)(
            ack=bind(action_items.status_clicked, deps),
            lazy=[bind(in_background(action_items.after_status_clicked), deps)],
        )
    for button in ids.ACTION_FORM_BUTTONS:
        app.action(button)(
            ack=bind(ack_only, deps),
            lazy=[bind(in_background(action_items.open_item_form), deps)],
        )
    app.action(ids.CREATE_ACTION_FROM_SORRY)(
        ack=bind(ack_only, deps),
        lazy=[bind(in_background(action_items.open_action_from_sorry), deps)],
    )
    app.action(ids.OPEN_ACTION_MODAL)(
        ack=bind(ack_only, deps),
        lazy=[bind(in_background(action_items.open_action_form), deps)],
    )
    for button, opens in (
        (ids.MEETING_ANSWER, meetings.open_answer_form),
        (ids.MEETING_ANSWER_TO_ACTION, meetings.open_action_from_answer),
        (ids.MEETING_EDIT, meetings.open_edit_form),
        (ids.QUESTION_ADD, meetings.open_question_form),
    ):
        app.action(button)(ack=bind(ack_only, deps), lazy=[bind(in_background(opens), deps)])
    for button in ids.MEETING_LIST_BUTTONS:
        app.action(button)(
            ack=bind(meetings.list_button_clicked, deps),
            lazy=[bind(in_background(meetings.after_list_button), deps)],
        )
    app.action(ids.QUESTION_RETIRE)(
        ack=bind(meetings.retire_clicked, deps),
        lazy=[bind(in_background(meetings.after_retire), deps)],
    )
    app.action(ids.FORGET_COPY)(ack=bind(ack_only, deps), lazy=[bind(in_background(privacy.send_copy), deps)])
    app.action(ids.FORGET_CONFIRM)(
        ack=bind(privacy.forget_confirmed, deps), lazy=[bind(in_background(privacy.after_forget), deps)]
    )
    app.action(ids.ENTRY_MENU)(
        ack=bind(privacy.entry_menu_chosen, deps), lazy=[bind(in_background(privacy.after_entry_menu), deps)]
    )
    for button in (ids.LEAD_ACCEPT, ids.LEAD_DECLINE):
        app.action(button)(ack=bind(ack_only, deps), lazy=[bind(in_background(leads.after_answer), deps)])
    app.action(ids.LEAD_REVIEW_NOTE)(ack=bind(ack_only, deps), lazy=[bind(in_background(leads.open_note_form), deps)])
    app.action(ids.LEAD_REVIEW_DONE)(ack=bind(ack_only, deps), lazy=[bind(in_background(leads.after_done), deps)])
    app.action(ids.FUTURE_PROPOSE)(
        ack=bind(ack_only, deps), lazy=[bind(in_background(futures.open_propose_form), deps)]
    )
    for button in (ids.FUTURE_ENDORSE, ids.FUTURE_WITHDRAW):
        app.action(button)(ack=bind(ack_only, deps), lazy=[bind(in_background(futures.after_endorse), deps)])
    app.action(ids.FUTURE_CONFIRM)(
        ack=bind(futures.confirm_clicked, deps), lazy=[bind(in_background(futures.after_confirm), deps)]
    )
