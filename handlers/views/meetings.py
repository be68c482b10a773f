"""Meeting forms: register or edit a meeting, answer the opening question, add a follow-up question."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.delivery import answer_where_asked
from bot.deps import Deps
from bot.meetings.schedule import Repeat
from bot.render.meeting_forms import meeting_saved_view
from bot.render.meetings import (
    meeting_list_blocks,
    meeting_list_text,
    meeting_summary,
    prompt_blocks,
    prompt_text,
    questions_blocks,
    questions_text,
)
from bot.services import meetings as meeting_service
from bot.services import questions as question_service
from bot.services.replays import Replayed
from bot.slack_text import escape_mrkdwn
from bot.zones import ZoneProblem, resolve_zone
from handlers.channel_check import channel_problem
from handlers.replays import view_key
from handlers.views import state
from storage.models import PromptTarget

FIELD_BLOCKS = {
    "title": ids.MEETING_TITLE_BLOCK,
    "channel": ids.MEETING_CHANNEL_BLOCK,
    "date": ids.MEETING_DATE_BLOCK,
    "weekdays": ids.MEETING_WEEKDAYS_BLOCK,
    "time": ids.MEETING_TIME_BLOCK,
    "tz": ids.MEETING_TZ_BLOCK,
    "lead": ids.MEETING_LEAD_BLOCK,
}
SAVED = "mindset_meeting_saved"
PROMPT_ID = "mindset_prompt_id"
NOTICE = "mindset_question_notice"


def _clock(value: str | None) -> time | None:
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        return None


def read_meeting_form(view: dict[str, Any], user_id: str) -> meeting_service.MeetingForm:
    repeat = state.selected_value(view, ids.MEETING_REPEAT_BLOCK, ids.MEETING_REPEAT_INPUT)
    target = state.selected_value(view, ids.MEETING_TARGET_BLOCK, ids.MEETING_TARGET_INPUT)
    lead = state.selected_value(view, ids.MEETING_LEAD_BLOCK, ids.MEETING_LEAD_INPUT)
    return meeting_service.MeetingForm(
        title=state.text_value(view, ids.MEETING_TITLE_BLOCK, ids.MEETING_TITLE_INPUT),
        channel_id=state.selected_conversation(view, ids.MEETING_CHANNEL_BLOCK, ids.MEETING_CHANNEL_INPUT),
        owner_id=state.selected_user(view, ids.MEETING_OWNER_BLOCK, ids.MEETING_OWNER_INPUT) or user_id,
        repeat=Repeat(repeat) if repeat in {r.value for r in Repeat} else Repeat.WEEKLY,
        start=state.selected_date(view, ids.MEETING_DATE_BLOCK, ids.MEETING_DATE_INPUT),
        weekdays=frozenset(
            int(value)
            for value in state.selected_values(view, ids.MEETING_WEEKDAYS_BLOCK, ids.MEETING_WEEKDAYS_INPUT)
            if value.isdigit()
        ),
        at=_clock(state.selected_time(view, ids.MEETING_TIME_BLOCK, ids.MEETING_TIME_INPUT)),
        tz=state.text_value(view, ids.MEETING_TZ_BLOCK, ids.MEETING_TZ_INPUT),
        lead_minutes=int(lead) if lead and lead.isdigit() else meeting_service.DEFAULT_LEAD,
        prompt_to=PromptTarget(target) if target in {t.value for t in PromptTarget} else PromptTarget.OWNER,
    )


def meeting_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    form = read_meeting_form(view, user_id)
    meeting_id = state.int_or_none(state.metadata(view).get("meeting_id"))
    try:
        form = replace(form, tz=resolve_zone(form.tz))
    except ZoneProblem as zone_problem:  # a form's error is plain text: no code marks
        ack(response_action="errors", errors={ids.MEETING_TZ_BLOCK: str(zone_problem).replace("`", "")})
        return
    try:
        _, schedule = meeting_service.check_form(form, now=deps.clock())
        if form.prompt_to is PromptTarget.CHANNEL and form.channel_id:
            problem = channel_problem(client, form.channel_id)
            if problem:
                raise meeting_service.MeetingProblem("channel", problem)
        if meeting_id is None:
            card = meeting_service.register(deps, team_id=team_id, user_id=user_id, form=form, key=f"view:{view['id']}")
        else:
            card = meeting_service.update(deps, team_id=team_id, meeting_id=meeting_id, user_id=user_id, form=form)
    except meeting_service.MeetingProblem as problem:
        ack(response_action="errors", errors={FIELD_BLOCKS.get(problem.field, ids.MEETING_TITLE_BLOCK): str(problem)})
        return
    except (LookupError, PermissionError) as problem:
        ack(response_action="errors", errors={ids.MEETING_TITLE_BLOCK: str(problem)})
        return
    context[SAVED] = card.id
    summary = meeting_summary(card, deps.clock())
    note = meeting_service.unused_weekdays(form, schedule)
    ack(response_action="update", view=meeting_saved_view(card, summary, edited=meeting_id is not None, note=note))


def after_meeting_submitted(body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """An edit made from `/meeting list` redraws that list."""
    response_url = state.metadata(view).get("response_url")
    if context.get(SAVED) is None or not isinstance(response_url, str):
        return
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    cards = meeting_service.list_for(deps, team_id=team_id, user_id=user_id)
    answer_where_asked(
        response_url, text=meeting_list_text(cards), blocks=meeting_list_blocks(cards, deps.clock(), notice="Saved.")
    )


EMPTY_ANSWERS = "Nothing was saved: every answer is empty. Write at least one, or close the form with Cancel."


def answer_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    prompt_id = state.int_or_none(state.metadata(view).get("prompt_id"))
    values = (view.get("state") or {}).get("values") or {}
    texts = {
        block_id.removeprefix(ids.ANSWER_BLOCK_PREFIX): state.text_value(view, block_id, ids.ANSWER_INPUT)
        for block_id in values
        if block_id.startswith(ids.ANSWER_BLOCK_PREFIX)
    }
    shown = state.metadata(view).get("shown")
    if not any(text.strip() for text in texts.values()) and not shown:
        # nothing written, nothing there before: closing the form silently would look like a save
        first = next(iter(values), ids.ANSWER_BLOCK_PREFIX + meeting_service.TEAM)
        ack(response_action="errors", errors={first: EMPTY_ANSWERS})
        return
    try:
        if prompt_id is None:
            raise LookupError("That prompt no longer exists.")
        card = meeting_service.save_answers(
            deps,
            team_id=team_id,
            prompt_id=prompt_id,
            user_id=user_id,
            texts=texts,
            shown=shown if isinstance(shown, dict) else {},
            key=view_key(view),
        )
    except Replayed:
        ack()  # this very form was saved before
        return
    except meeting_service.MeetingProblem as problem:
        ack(response_action="errors", errors={f"{ids.ANSWER_BLOCK_PREFIX}{problem.field}": str(problem)})
        return
    except LookupError as problem:
        first = next(iter(values), ids.ANSWER_BLOCK_PREFIX + meeting_service.TEAM)
        ack(response_action="errors", errors={first: str(problem)})
        return
    context[PROMPT_ID] = card.id
    ack()


def after_answer_submitted(
    body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Show the answers in the prompt's message, in place."""
    prompt_id = context.get(PROMPT_ID)
    if prompt_id is None:
        return
    card = meeting_service.get_prompt_card(deps, team_id=body["team"]["id"], prompt_id=prompt_id)
    if card is None:
        return
    meta = state.metadata(view)
    channel = card.channel or meta.get("channel")
    ts = card.message_ts or meta.get("ts")
    if channel and ts:
        client.chat_update(channel=channel, ts=ts, text=prompt_text(card), blocks=prompt_blocks(card))


def question_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    text = state.text_value(view, ids.QUESTION_TEXT_BLOCK, ids.QUESTION_TEXT_INPUT)
    try:
        card = question_service.add_question(deps, team_id=body["team"]["id"], user_id=body["user"]["id"], text=text)
    except question_service.QuestionProblem as problem:
        ack(response_action="errors", errors={ids.QUESTION_TEXT_BLOCK: str(problem)})
        return
    context[NOTICE] = f"Added: _{escape_mrkdwn(card.text)}_"
    ack()


def after_question_submitted(body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    response_url = state.metadata(view).get("response_url")
    if not context.get(NOTICE) or not isinstance(response_url, str):
        return
    cards = question_service.list_questions(deps, team_id=body["team"]["id"])
    answer_where_asked(response_url, text=questions_text(cards), blocks=questions_blocks(cards, notice=context[NOTICE]))
