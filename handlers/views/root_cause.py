"""The root cause form: save the answer, then show it in the sorry's message."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import delivery, ids
from bot.deps import Deps
from bot.render.replies import EMPTY_ROOT_CAUSE, too_long_field_error
from bot.services import entries as entry_service
from bot.services.replays import Replayed
from bot.slack_text import ROOT_CAUSE_MAX, entry_text_length
from handlers.replays import view_key
from handlers.views import state

ENTRY_ID = "mindset_entry_id"


def root_cause_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps
) -> None:
    why = state.text_value(view, ids.ROOT_CAUSE_BLOCK, ids.ROOT_CAUSE_INPUT).strip()
    if not why:
        ack(response_action="errors", errors={ids.ROOT_CAUSE_BLOCK: EMPTY_ROOT_CAUSE})
        return
    if entry_text_length(why) > ROOT_CAUSE_MAX:
        ack(
            response_action="errors",
            errors={ids.ROOT_CAUSE_BLOCK: too_long_field_error(entry_text_length(why), ROOT_CAUSE_MAX)},
        )
        return
    entry_id = state.int_or_none(state.metadata(view).get("entry_id"))
    card = None
    if entry_id is not None:
        try:
            card = entry_service.add_root_cause(
                deps,
                team_id=body["team"]["id"],
                entry_id=entry_id,
                root_cause=why,
                by=body["user"]["id"],
                key=view_key(view),
            )
        except Replayed:
            ack()  # this very form was saved before
            return
    if card is None:
        ack(response_action="errors", errors={ids.ROOT_CAUSE_BLOCK: "This sorry could not be found any more."})
        return
    context[ENTRY_ID] = card.id
    ack()


def after_root_cause_submitted(body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    entry_id = context.get(ENTRY_ID)
    if entry_id is None:
        return
    delivery.refresh_entry_message(deps, client, team_id=body["team"]["id"], entry_id=entry_id)
