"""The form proposing an ideal future: checked and saved before the answer, so a problem shows by its field."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.delivery import answer_where_asked
from bot.deps import Deps
from bot.render import futures as render
from bot.services import futures as future_service
from bot.slack_text import escape_mrkdwn
from handlers.commands.mindset_future import board_for
from handlers.events.home import publish_home_for
from handlers.views import state

PROPOSED = "mindset_future_proposed"
FIELD_BLOCKS = {"group": ids.FUTURE_GROUP_BLOCK, "text": ids.FUTURE_TEXT_BLOCK}


def propose_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    try:
        card = future_service.propose(
            deps,
            team_id=body["team"]["id"],
            user_id=body["user"]["id"],
            group_id=state.int_or_none(state.selected_value(view, ids.FUTURE_GROUP_BLOCK, ids.FUTURE_GROUP_INPUT)),
            text=state.text_value(view, ids.FUTURE_TEXT_BLOCK, ids.FUTURE_TEXT_INPUT),
            key=f"view:{view.get('id')}",  # a form submitted twice proposes once
        )
    except future_service.FutureProblem as problem:
        ack(
            response_action="errors",
            errors={FIELD_BLOCKS.get(problem.field or "", ids.FUTURE_TEXT_BLOCK): str(problem)},
        )
        return
    context[PROPOSED] = card
    ack(response_action="update", view=render.proposed_view(card))


def after_proposed(
    body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """The list or the Home tab the form was opened from shows the new proposal."""
    card = context.get(PROPOSED)
    if card is None:
        return
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    metadata = state.metadata(view)
    if metadata.get("home"):
        publish_home_for(deps, client, team_id=team_id, user_id=user_id)
        return
    response_url = metadata.get("response_url")
    if isinstance(response_url, str) and response_url:
        group_id = state.int_or_none(metadata.get("group_id"))
        board = board_for(deps, team_id=team_id, user_id=user_id, group_id=group_id)
        notice = f"You proposed a future for {escape_mrkdwn(card.group_name)}."
        answer_where_asked(
            response_url,
            text=render.board_text(board),
            blocks=render.board_blocks(board, notice=notice, one_group=group_id is not None),
        )
