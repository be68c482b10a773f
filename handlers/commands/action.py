"""`/action`: commit to an action item (a form), list your items, or read how it works."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.render.action_forms import action_modal
from bot.render.actions import person_list_blocks, person_list_text
from bot.render.help import ACTION_HELP
from bot.render.replies import cut_from_form
from bot.services import actions as action_service
from bot.services import futures as future_service
from bot.services import groups as group_service
from bot.services import journey as journey_service
from bot.services import people as people_service

# context key the ack function leaves for its lazy follow-up: the title to fill in
FORM_TITLE = "mindset_action_title"


def action_command(ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    text = " ".join((command.get("text") or "").split())
    word = text.lower()
    if word == "list":
        team_id, user_id = command["team_id"], command["user_id"]
        cards = action_service.list_for_person(deps, team_id=team_id, user_id=user_id)
        today = people_service.today_of(deps, team_id=team_id, user_id=user_id)
        ack(text=person_list_text(cards, today), blocks=person_list_blocks(cards, today), response_type="ephemeral")
        return
    if word == "help":
        ack(text=ACTION_HELP, response_type="ephemeral")
        return
    context[FORM_TITLE] = text
    ack()


def after_action_command(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Open the form, the title filled in with what followed `/action`."""
    if FORM_TITLE not in context:
        return
    groups = group_service.list_options(deps, team_id=command["team_id"])
    title = context[FORM_TITLE]
    # a title too long for the field is kept whole as the desired outcome, so nothing typed is lost
    outcome = title if len(title) > action_service.TITLE_MAX else ""
    notice = None
    if len(title) > action_service.TEXT_MAX:
        notice = (
            f"Your text has {len(title):,} characters: a title holds {action_service.TITLE_MAX} and the desired "
            f"outcome {action_service.TEXT_MAX:,}, so both have its start; I sent you the whole text privately."
        )
        respond(text=cut_from_form(title, action_service.TEXT_MAX), response_type="ephemeral")
    elif outcome:
        notice = (
            f"Your text has {len(title):,} characters and a title holds {action_service.TITLE_MAX}: the title has "
            "its start, and the whole text is the desired outcome. Shorten the title as you like."
        )
    client.views_open(
        trigger_id=command["trigger_id"],
        view=action_modal(
            groups=groups,
            creator=command["user_id"],
            metadata={"source": "manual"},
            futures=future_service.confirmed_options(deps, team_id=command["team_id"]),
            initial_title=title,
            initial_outcome=outcome,
            context_text=notice,
            stages=journey_service.stage_options(deps, team_id=command["team_id"]),
        ),
    )
