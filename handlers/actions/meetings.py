"""Buttons of meetings: answer a prompt, make an answer an action item, and manage `/meeting list`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.deps import Deps
from bot.render.action_forms import action_modal
from bot.render.admin import retired_questions_blocks, retired_questions_text
from bot.render.meeting_forms import answer_modal, meeting_modal, question_modal
from bot.render.meetings import meeting_list_blocks, meeting_list_text, questions_blocks, questions_text
from bot.services import actions as action_service
from bot.services import futures as future_service
from bot.services import groups as group_service
from bot.services import journey as journey_service
from bot.services import meetings as meeting_service
from bot.services import people as people_service
from bot.services import questions as question_service
from bot.services.people import SettingsProblem
from bot.services.replays import Replayed
from bot.slack_text import clip, escape_mrkdwn
from handlers.replays import click_key
from handlers.roles import guard
from handlers.views.state import int_or_none
from storage.models import ActionSource

NOTICE = "mindset_meeting_notice"
PROBLEM = "mindset_meeting_problem"
REPLAYED = "mindset_meeting_replayed"


def _who(body: dict[str, Any]) -> tuple[str, str]:
    return body["team"]["id"], body["user"]["id"]


def _tell(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def open_answer_form(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    team_id, _ = _who(body)
    prompt_id = int_or_none(action.get("value"))
    card = meeting_service.get_prompt_card(deps, team_id=team_id, prompt_id=prompt_id) if prompt_id else None
    if card is None:
        _tell(respond, "I could not find that question any more.")
        return
    container = body.get("container") or {}
    metadata = {"channel": container.get("channel_id"), "ts": container.get("message_ts")}
    client.views_open(trigger_id=body["trigger_id"], view=answer_modal(card, metadata=metadata))


def open_action_from_answer(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """The new-item form, linked to the answer, its text as the title and its customer group chosen."""
    team_id, user_id = _who(body)
    answer_id = int_or_none(action.get("value"))
    source = meeting_service.answer_source(deps, team_id=team_id, answer_id=answer_id) if answer_id else None
    if source is None:
        _tell(respond, "I could not find that answer any more: it may have been cleared.")
        return
    text = " ".join(source.text.split())
    client.views_open(
        trigger_id=body["trigger_id"],
        view=action_modal(
            groups=group_service.list_options(deps, team_id=team_id),
            futures=future_service.confirmed_options(deps, team_id=team_id),
            creator=user_id,
            metadata={"source": ActionSource.MEETING.value, "answer_id": source.id},
            initial_title=clip(text, action_service.TITLE_MAX),
            initial_outcome=text if len(text) > action_service.TITLE_MAX else "",
            initial_group_ids=[source.group_id] if source.group_id is not None else [],
            context_text=f"From the meeting: {source.prompt_title}",
            stages=journey_service.stage_options(deps, team_id=team_id),
        ),
    )


def open_edit_form(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    team_id, user_id = _who(body)
    meeting_id = int_or_none(action.get("value"))
    card = meeting_service.get_card(deps, team_id=team_id, meeting_id=meeting_id) if meeting_id else None
    if card is None:
        _tell(respond, meeting_service.NOT_FOUND)
        return
    if not card.editable_by(user_id):
        _tell(respond, meeting_service.NOT_ALLOWED)
        return
    client.views_open(
        trigger_id=body["trigger_id"],
        view=meeting_modal(
            requester=user_id,
            today=people_service.today_of(deps, team_id=team_id, user_id=user_id),
            tz=card.schedule.tz,
            metadata={"response_url": body.get("response_url")},
            card=card,
        ),
    )


def list_button_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps
) -> None:
    """Pause, resume, delete: saved before the answer; the list is redrawn right after it."""
    team_id, user_id = _who(body)
    meeting_id = int_or_none(action.get("value"))
    try:
        if meeting_id is None:
            raise LookupError(meeting_service.NOT_FOUND)
        if action["action_id"] == ids.MEETING_DELETE:
            card = meeting_service.delete(deps, team_id=team_id, meeting_id=meeting_id, user_id=user_id)
            context[NOTICE] = f"Deleted *{escape_mrkdwn(card.title)}*: no more questions before it."
        else:
            paused = action["action_id"] == ids.MEETING_PAUSE
            card = meeting_service.set_paused(
                deps,
                team_id=team_id,
                meeting_id=meeting_id,
                user_id=user_id,
                paused=paused,
                key=click_key(body, action),
            )
            verb = "Paused" if paused else "Resumed"
            context[NOTICE] = f"{verb} *{escape_mrkdwn(card.title)}*."
    except Replayed:
        context[REPLAYED] = True  # this very click was handled before: it has had its effect and its answer
    except (LookupError, PermissionError) as problem:
        context[PROBLEM] = str(problem)
    ack()


def after_list_button(body: dict[str, Any], context: BoltContext, respond: Respond, deps: Deps) -> None:
    if context.get(REPLAYED):
        return
    if PROBLEM in context:
        _tell(respond, context[PROBLEM])
        return
    team_id, user_id = _who(body)
    cards = meeting_service.list_for(deps, team_id=team_id, user_id=user_id)
    respond(
        text=meeting_list_text(cards),
        blocks=meeting_list_blocks(cards, deps.clock(), notice=context.get(NOTICE)),
        replace_original=True,
    )


# -- the question library (/mindset questions) ---------------------------------------------------


def retire_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    team_id, user_id = _who(body)
    question_id = int_or_none(action.get("value"))
    try:
        guard(deps, context, team_id, user_id, "retire questions")
    except SettingsProblem as refused:
        context[PROBLEM] = str(refused)
        ack()
        return
    card = (
        question_service.retire_question(deps, team_id=team_id, by=user_id, question_id=question_id)
        if question_id
        else None
    )
    context[NOTICE] = f"Retired: _{escape_mrkdwn(card.text)}_" if card else "That question was already gone."
    ack()


def restore_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Put a retired question back (`/mindset questions retired`); the list is redrawn right after the answer."""
    team_id, user_id = _who(body)
    question_id = int_or_none(action.get("value"))
    try:
        guard(deps, context, team_id, user_id, "restore questions")
        card = (
            question_service.restore_question(deps, team_id=team_id, by=user_id, question_id=question_id)
            if question_id
            else None
        )
    except (SettingsProblem, question_service.QuestionProblem) as problem:
        context[PROBLEM] = str(problem)
        ack()
        return
    context[NOTICE] = f"Restored: _{escape_mrkdwn(card.text)}_" if card else "That question no longer exists."
    ack()


def after_restore(body: dict[str, Any], context: BoltContext, respond: Respond, deps: Deps) -> None:
    if PROBLEM in context:
        _tell(respond, context[PROBLEM])
        return
    retired = question_service.list_retired(deps, team_id=body["team"]["id"])
    respond(
        text=retired_questions_text(retired),
        blocks=retired_questions_blocks(retired, notice=context.get(NOTICE)),
        replace_original=True,
    )


def after_retire(body: dict[str, Any], context: BoltContext, respond: Respond, deps: Deps) -> None:
    if PROBLEM in context:
        _tell(respond, context[PROBLEM])
        return
    cards = question_service.list_questions(deps, team_id=body["team"]["id"])
    respond(
        text=questions_text(cards), blocks=questions_blocks(cards, notice=context.get(NOTICE)), replace_original=True
    )


def open_question_form(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    client.views_open(
        trigger_id=body["trigger_id"], view=question_modal(metadata={"response_url": body.get("response_url")})
    )
