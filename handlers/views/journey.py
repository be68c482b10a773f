"""The customer journey's edit form: only admins save it; then the answer to the command says what it is now."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot import ids
from bot.delivery import answer_where_asked
from bot.deps import Deps
from bot.journey import JourneyProblem
from bot.render import journey as render
from bot.render.blocks import section
from bot.services import journey as journey_service
from bot.services.people import SettingsProblem
from bot.services.replays import Replayed
from handlers.replays import view_key
from handlers.roles import guard
from handlers.views import state

SAVED = "mindset_journey_saved"


def journey_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    group_id = state.int_or_none(state.metadata(view).get("group_id"))
    text = state.text_value(view, ids.JOURNEY_STAGES_BLOCK, ids.JOURNEY_STAGES_INPUT)
    try:
        guard(deps, context, team_id, user_id, "change the customer journey")
        journeys = journey_service.set_journey(
            deps, team_id=team_id, by=user_id, group_id=group_id, text=text, key=view_key(view)
        )
    except (JourneyProblem, SettingsProblem) as problem:
        ack(response_action="errors", errors={ids.JOURNEY_STAGES_BLOCK: str(problem)})
        return
    except Replayed:
        ack()
        return
    name = journey_service.group_name(deps, team_id=team_id, group_id=group_id) if group_id is not None else None
    context[SAVED] = render.journey_saved(journeys, group_id=group_id, group_name=name)
    ack()


def after_journey_saved(body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    response_url = state.metadata(view).get("response_url")
    saved = context.get(SAVED)
    if saved and isinstance(response_url, str):
        answer_where_asked(response_url, text=saved, blocks=[section(saved)], replace=False)
