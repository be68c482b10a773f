"""Every slash command, shortcut, action, callback and block id the app uses, in one place.

`tests/test_manifest.py` holds these against `app.manifest.yml`.
"""

from __future__ import annotations

# Slash commands (features.slash_commands in app.manifest.yml)
PROUD = "/proud"
SORRY = "/sorry"
MINDSET = "/mindset"
ACTION = "/action"
MEETING = "/meeting"
COMMANDS = (PROUD, SORRY, MINDSET, ACTION, MEETING)

# Message shortcuts (features.shortcuts, type "message")
LOG_AS_PROUD = "log_as_proud"
LOG_AS_SORRY = "log_as_sorry"
MESSAGE_SHORTCUTS = (LOG_AS_PROUD, LOG_AS_SORRY)

# Events the app subscribes to (settings.event_subscriptions.bot_events)
APP_HOME_OPENED = "app_home_opened"
APP_UNINSTALLED = "app_uninstalled"
TOKENS_REVOKED = "tokens_revoked"
FUNCTION_EXECUTED = "function_executed"  # a Workflow Builder step of ours runs (see WORKFLOW_STEPS)
# someone left a channel; the bot itself left (or was removed from) a private channel
MEMBER_LEFT_CHANNEL = "member_left_channel"
GROUP_LEFT = "group_left"
USER_CHANGE = "user_change"  # someone's profile changed: their time zone, or they left
BOT_EVENTS: tuple[str, ...] = (
    APP_HOME_OPENED,
    APP_UNINSTALLED,
    TOKENS_REVOKED,
    FUNCTION_EXECUTED,
    MEMBER_LEFT_CHANNEL,
    GROUP_LEFT,
    USER_CHANGE,
)

# Modal callback ids
ENTRY_MODAL = "entry_modal"
ROOT_CAUSE_MODAL = "root_cause_modal"
GROUP_ADD_MODAL = "group_add_modal"
GROUP_RENAME_MODAL = "group_rename_modal"

# Action ids (buttons and menus in messages)
ADD_ROOT_CAUSE = "add_root_cause"
GROUP_ADD = "group_add"
GROUP_MENU = "group_menu"
OPEN_PROUD_MODAL = "open_proud_modal"
OPEN_SORRY_MODAL = "open_sorry_modal"

# Overflow options of GROUP_MENU: "<verb>:<group id>"
GROUP_MENU_RENAME = "rename"
GROUP_MENU_ARCHIVE = "archive"
# value of a GROUP_ADD button under an entry's confirmation, for a `#tag` no group has: "<this>:<entry id>:<tag>"
GROUP_ADD_FOR_ENTRY = "tag"

# Blocks and inputs of the entry modal
ENTRY_TEXT_BLOCK = "entry_text"
ENTRY_TEXT_INPUT = "text"
ENTRY_GROUPS_BLOCK = "entry_groups"
ENTRY_GROUPS_INPUT = "groups"
ENTRY_AREA_BLOCK = "entry_area"
ENTRY_AREA_INPUT = "area"
ENTRY_CHANNEL_BLOCK = "entry_channel"
ENTRY_CHANNEL_INPUT = "channel"
ENTRY_STAGE_BLOCK = "entry_stage"
ENTRY_STAGE_INPUT = "stage"

# Root cause modal
ROOT_CAUSE_BLOCK = "root_cause"
ROOT_CAUSE_INPUT = "why"

# Group name modal
GROUP_NAME_BLOCK = "group_name"
GROUP_NAME_INPUT = "name"

# --- Action items -------------------------------------------------------------------------

# Modals
ACTION_MODAL = "action_modal"
ACTION_NOTE_MODAL = "action_note_modal"
ACTION_MOVE_MODAL = "action_move_modal"
ACTION_DROP_MODAL = "action_drop_modal"
ACTION_HAND_OVER_MODAL = "action_hand_over_modal"

# Buttons on action items (value: the action item id)
ACTION_DONE = "action_done"
ACTION_ON_TRACK = "action_on_track"
ACTION_AT_RISK = "action_at_risk"
ACTION_NOTE = "action_note"
ACTION_MOVE = "action_move"
ACTION_DROP = "action_drop"
ACTION_HAND_OVER = "action_hand_over"
ACTION_REOPEN = "action_reopen"
# buttons that change the status at once, and those that open a form first
ACTION_STATUS_BUTTONS = (ACTION_DONE, ACTION_ON_TRACK, ACTION_AT_RISK, ACTION_REOPEN)
ACTION_FORM_BUTTONS = (ACTION_NOTE, ACTION_MOVE, ACTION_HAND_OVER, ACTION_DROP)
ACTION_BUTTONS = ACTION_STATUS_BUTTONS + ACTION_FORM_BUTTONS
# On a sorry's message (value: the entry id)
CREATE_ACTION_FROM_SORRY = "create_action_from_sorry"
# On the Home tab
OPEN_ACTION_MODAL = "open_action_modal"

# Blocks and inputs of the action modal
ACTION_TITLE_BLOCK = "action_title"
ACTION_TITLE_INPUT = "title"
ACTION_OUTCOME_BLOCK = "action_outcome"
ACTION_OUTCOME_INPUT = "outcome"
ACTION_OWNER_BLOCK = "action_owner"
ACTION_OWNER_INPUT = "owner"
ACTION_PEOPLE_BLOCK = "action_people"
ACTION_PEOPLE_INPUT = "people"
ACTION_DUE_BLOCK = "action_due"
ACTION_DUE_INPUT = "due"
ACTION_GROUPS_BLOCK = "action_groups"
ACTION_GROUPS_INPUT = "groups"
ACTION_AREA_BLOCK = "action_area"
ACTION_AREA_INPUT = "area"
ACTION_STAGE_BLOCK = "action_stage"
ACTION_STAGE_INPUT = "stage"
ACTION_FUTURE_BLOCK = "action_future"  # the confirmed common future it serves
ACTION_FUTURE_INPUT = "future"
ACTION_NOTE_BLOCK = "action_note_text"
ACTION_NOTE_INPUT = "note"
ACTION_REASON_BLOCK = "action_reason"
ACTION_REASON_INPUT = "reason"

# --- Meetings ------------------------------------------------------------------------------

# Modals
MEETING_MODAL = "meeting_modal"
MEETING_ANSWER_MODAL = "meeting_answer_modal"
QUESTION_ADD_MODAL = "question_add_modal"

# Buttons
MEETING_ANSWER = "meeting_answer"  # on a prompt (value: the prompt id)
MEETING_ANSWER_TO_ACTION = "meeting_answer_to_action"  # on an answer (value: the answer id)
MEETING_EDIT = "meeting_edit"  # in /meeting list (value: the meeting id)
MEETING_PAUSE = "meeting_pause"
MEETING_RESUME = "meeting_resume"
MEETING_DELETE = "meeting_delete"
MEETING_LIST_BUTTONS = (MEETING_PAUSE, MEETING_RESUME, MEETING_DELETE)
QUESTION_ADD = "question_add"  # in /mindset questions
QUESTION_RETIRE = "question_retire"  # (value: the question id)
QUESTION_RESTORE = "question_restore"  # in /mindset questions retired (value: the question id)
GROUP_RESTORE = "group_restore"  # in /mindset groups archived (value: the group id)

# Blocks and inputs of the meeting form
MEETING_TITLE_BLOCK = "meeting_title"
MEETING_TITLE_INPUT = "title"
MEETING_CHANNEL_BLOCK = "meeting_channel"
MEETING_CHANNEL_INPUT = "channel"
MEETING_OWNER_BLOCK = "meeting_owner"
MEETING_OWNER_INPUT = "owner"
MEETING_REPEAT_BLOCK = "meeting_repeat"
MEETING_REPEAT_INPUT = "repeat"
MEETING_DATE_BLOCK = "meeting_date"
MEETING_DATE_INPUT = "date"
MEETING_WEEKDAYS_BLOCK = "meeting_weekdays"
MEETING_WEEKDAYS_INPUT = "weekdays"
MEETING_TIME_BLOCK = "meeting_time"
MEETING_TIME_INPUT = "time"
MEETING_TZ_BLOCK = "meeting_tz"
MEETING_TZ_INPUT = "tz"
MEETING_LEAD_BLOCK = "meeting_lead"
MEETING_LEAD_INPUT = "lead"
MEETING_TARGET_BLOCK = "meeting_target"
MEETING_TARGET_INPUT = "target"

# The answer form: one block per subject ("group:<id>", "outside", "team"), each with this input
ANSWER_BLOCK_PREFIX = "answer:"
ANSWER_INPUT = "answer"

# The question form
QUESTION_TEXT_BLOCK = "question_text"
QUESTION_TEXT_INPUT = "text"

# --- A person's data ------------------------------------------------------------------------

FORGET_COPY = "forget_copy"  # in /mindset forget me: send me a copy of my data first
FORGET_CONFIRM = "forget_confirm"  # ...: delete my data
ENTRY_MENU = "entry_menu"  # the ⋯ menu on an entry's post (value of its option: "delete:<entry id>")
ENTRY_MENU_DELETE = "delete"

# --- Reviews with one's lead ------------------------------------------------------------------

LEAD_ACCEPT = "lead_accept"  # in the named lead's DM (value: the link id)
LEAD_DECLINE = "lead_decline"
LEAD_REVIEW_NOTE = "lead_review_note"  # on a quarterly review with one's lead (value: the review id)
LEAD_REVIEW_DONE = "lead_review_done"
LEAD_NOTE_MODAL = "lead_note_modal"
LEAD_NOTE_BLOCK = "lead_note"
LEAD_NOTE_INPUT = "note"

# --- The customer journey ---------------------------------------------------------------------

JOURNEY_MODAL = "journey_modal"  # `/mindset journey edit [#group]` (private metadata: the group id, if any)
JOURNEY_STAGES_BLOCK = "journey_stages"
JOURNEY_STAGES_INPUT = "stages"
# --- Ideal futures and the common future ------------------------------------------------------------

FUTURE_PROPOSE = "future_propose"  # in /mindset future and on the Home tab (value: a group id, or "any")
FUTURE_ENDORSE = "future_endorse"  # on a proposal (value: the future id)
FUTURE_WITHDRAW = "future_withdraw"  # take one's endorsement back (value: the future id)
FUTURE_CONFIRM = "future_confirm"  # admins: make it the group's common future (value: the future id)
FUTURE_BUTTONS = (FUTURE_ENDORSE, FUTURE_WITHDRAW, FUTURE_CONFIRM)
FUTURE_MODAL = "future_modal"
FUTURE_GROUP_BLOCK = "future_group"
FUTURE_GROUP_INPUT = "group"
FUTURE_TEXT_BLOCK = "future_text"
FUTURE_TEXT_INPUT = "text"

# --- Workflow Builder steps (custom steps: top-level `functions` in app.manifest.yml, Bolt's app.function) ---

STEP_LOG_PROUD = "log_proud"
STEP_LOG_SORRY = "log_sorry"
STEP_CREATE_ACTION = "create_action_item"
WORKFLOW_STEPS: tuple[str, ...] = (STEP_LOG_PROUD, STEP_LOG_SORRY, STEP_CREATE_ACTION)

# Their input parameters
STEP_TEXT = "text"
STEP_AUTHOR = "author"
STEP_CHANNEL = "channel"
STEP_GROUPS = "customer_groups"
STEP_AREA = "area"
STEP_TITLE = "title"
STEP_OWNER = "owner"
STEP_DUE = "due_date"
STEP_OUTCOME = "desired_outcome"
STEP_CREATED_BY = "created_by"
STEP_SORRY_ID = "sorry_id"
# Their output parameters
STEP_ENTRY_ID = "entry_id"
STEP_ACTION_ID = "action_item_id"
STEP_PERMALINK = "permalink"

ENTRY_STEP_INPUTS = (STEP_TEXT, STEP_AUTHOR, STEP_CHANNEL, STEP_GROUPS, STEP_AREA)
# (inputs, outputs) of each step: tests/test_manifest.py holds the manifest's parameters to these
STEP_PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    STEP_LOG_PROUD: (ENTRY_STEP_INPUTS, (STEP_ENTRY_ID, STEP_PERMALINK)),
    STEP_LOG_SORRY: (ENTRY_STEP_INPUTS, (STEP_ENTRY_ID, STEP_PERMALINK)),
    STEP_CREATE_ACTION: (
        (
            STEP_TITLE,
            STEP_OWNER,
            STEP_DUE,
            STEP_OUTCOME,
            STEP_GROUPS,
            STEP_AREA,
            STEP_CREATED_BY,
            STEP_CHANNEL,
            STEP_SORRY_ID,
        ),
        (STEP_ACTION_ID, STEP_PERMALINK),
    ),
}

# --- Every id a listener is registered for (tests/test_boundary.py holds the app's listeners to these) ----
# Metric labels are taken from these fixed sets only (bot/metrics.py): no request can add a series.

ACTION_IDS: tuple[str, ...] = (
    ADD_ROOT_CAUSE,
    OPEN_PROUD_MODAL,
    OPEN_SORRY_MODAL,
    GROUP_ADD,
    GROUP_MENU,
    *ACTION_BUTTONS,
    CREATE_ACTION_FROM_SORRY,
    OPEN_ACTION_MODAL,
    MEETING_ANSWER,
    MEETING_ANSWER_TO_ACTION,
    MEETING_EDIT,
    *MEETING_LIST_BUTTONS,
    QUESTION_ADD,
    QUESTION_RETIRE,
    QUESTION_RESTORE,
    GROUP_RESTORE,
    FORGET_COPY,
    FORGET_CONFIRM,
    ENTRY_MENU,
    LEAD_ACCEPT,
    LEAD_DECLINE,
    LEAD_REVIEW_NOTE,
    LEAD_REVIEW_DONE,
    FUTURE_PROPOSE,
    *FUTURE_BUTTONS,
)
MODALS: tuple[str, ...] = (
    ENTRY_MODAL,
    ROOT_CAUSE_MODAL,
    GROUP_ADD_MODAL,
    GROUP_RENAME_MODAL,
    ACTION_MODAL,
    ACTION_NOTE_MODAL,
    ACTION_MOVE_MODAL,
    ACTION_DROP_MODAL,
    ACTION_HAND_OVER_MODAL,
    MEETING_MODAL,
    MEETING_ANSWER_MODAL,
    QUESTION_ADD_MODAL,
    LEAD_NOTE_MODAL,
    JOURNEY_MODAL,
    FUTURE_MODAL,
)
