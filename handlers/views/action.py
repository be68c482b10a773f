"""The action item form: validate, save once, show what was committed, update the sorry it came from."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import delivery, ids
from bot.deps import Deps
from bot.render.action_forms import action_saved_view
from bot.services import actions as action_service
from bot.services import futures as future_service
from bot.services import journey as journey_service
from bot.services import people as people_service
from bot.services.owners import not_a_person, not_people
from handlers.events.home import publish_home_for
from handlers.views import state
from storage.models import ActionSource, Area

# where each kind of problem is shown in the forms
FIELD_BLOCKS = {
    "title": ids.ACTION_TITLE_BLOCK,
    "outcome": ids.ACTION_OUTCOME_BLOCK,
    "owner": ids.ACTION_OWNER_BLOCK,
    "due": ids.ACTION_DUE_BLOCK,
    "note": ids.ACTION_NOTE_BLOCK,
    "reason": ids.ACTION_REASON_BLOCK,
    "future": ids.ACTION_FUTURE_BLOCK,
}
SORRY_ID = "mindset_sorry_id"


def field_error(problem: action_service.ActionProblem, fallback: str) -> dict[str, str]:
    return {FIELD_BLOCKS.get(problem.field, fallback): str(problem)}


def action_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    started = time.monotonic()
    owner = state.selected_user(view, ids.ACTION_OWNER_BLOCK, ids.ACTION_OWNER_INPUT) or user_id
    refused = not_a_person(client, user_id=owner, bot_user_id=context.bot_user_id)
    if refused is not None:
        ack(response_action="errors", errors={ids.ACTION_OWNER_BLOCK: refused})
        return
    involved = [u for u in state.selected_users(view, ids.ACTION_PEOPLE_BLOCK, ids.ACTION_PEOPLE_INPUT) if u != owner]
    refused = not_people(client, user_ids=involved, bot_user_id=context.bot_user_id, started=started)
    if refused is not None:
        ack(response_action="errors", errors={ids.ACTION_PEOPLE_BLOCK: refused})
        return
    meta = state.metadata(view)
    from_sorry = meta.get("source") == ActionSource.SORRY.value
    from_meeting = meta.get("source") == ActionSource.MEETING.value
    area_value = state.selected_value(view, ids.ACTION_AREA_BLOCK, ids.ACTION_AREA_INPUT)
    stage_value = state.selected_value(view, ids.ACTION_STAGE_BLOCK, ids.ACTION_STAGE_INPUT)
    stage = (
        journey_service.chosen_stage(stage_value, journey_service.stage_options(deps, team_id=team_id))
        if stage_value
        else None
    )
    today = people_service.today_of(deps, team_id=team_id, user_id=user_id)
    new = action_service.NewAction(
        team_id=team_id,
        title=state.text_value(view, ids.ACTION_TITLE_BLOCK, ids.ACTION_TITLE_INPUT),
        desired_outcome=state.text_value(view, ids.ACTION_OUTCOME_BLOCK, ids.ACTION_OUTCOME_INPUT),
        owner_id=owner,
        involved=state.selected_users(view, ids.ACTION_PEOPLE_BLOCK, ids.ACTION_PEOPLE_INPUT),
        created_by=user_id,
        due_date=state.selected_date(view, ids.ACTION_DUE_BLOCK, ids.ACTION_DUE_INPUT),
        today=today,
        idempotency_key=f"view:{view['id']}",
        group_ids=[
            int(value)
            for value in state.selected_values(view, ids.ACTION_GROUPS_BLOCK, ids.ACTION_GROUPS_INPUT)
            if value.isdigit()
        ],
        area=Area(area_value) if area_value in {a.value for a in Area} else None,
        stage=stage,
        source=ActionSource.SORRY if from_sorry else ActionSource.MEETING if from_meeting else ActionSource.MANUAL,
        source_entry_id=state.int_or_none(meta.get("entry_id")) if from_sorry else None,
        source_answer_id=state.int_or_none(meta.get("answer_id")) if from_meeting else None,
        future_id=state.int_or_none(state.selected_value(view, ids.ACTION_FUTURE_BLOCK, ids.ACTION_FUTURE_INPUT)),
    )
    try:
        card, _ = action_service.create_action(deps, new)
    except action_service.ActionProblem as problem:
        ack(response_action="errors", errors=field_error(problem, ids.ACTION_TITLE_BLOCK))
        return
    if card.source_entry_id is not None:
        context[SORRY_ID] = card.source_entry_id
    serves = None
    if new.future_id is not None:
        found = future_service.confirmed_options(deps, team_id=team_id)
        serves = next((option for option in found if option.id == new.future_id), None)
    ack(response_action="update", view=action_saved_view(card, today, creator=user_id, serves=serves))


def after_action_submitted(
    body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """A sorry's message lists the action items it led to; a Home tab it came from is redrawn."""
    entry_id = context.get(SORRY_ID)
    if entry_id is not None:
        delivery.refresh_entry_message(deps, client, team_id=body["team"]["id"], entry_id=entry_id)
    if state.metadata(view).get("home"):
        publish_home_for(deps, client, team_id=body["team"]["id"], user_id=body["user"]["id"])
