"""The "Add root cause" button on a sorry."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.render.modals import root_cause_modal
from bot.services import entries as entry_service
from handlers.views.state import int_or_none
from storage.models import EntryKind


def open_root_cause_modal(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    entry_id = int_or_none(action.get("value"))
    card = None
    if entry_id is not None:
        card = entry_service.get_card(deps, team_id=body["team"]["id"], entry_id=entry_id)
    if card is None or card.kind is not EntryKind.SORRY:
        respond(text="I could not find that sorry any more.", response_type="ephemeral", replace_original=False)
        return
    client.views_open(
        trigger_id=body["trigger_id"],
        view=root_cause_modal(
            entry_id=card.id,
            entry_text=card.text,
            metadata={},
            current=card.root_cause,
            current_by=card.root_cause_by,
            history=card.root_cause_history,
        ),
    )
