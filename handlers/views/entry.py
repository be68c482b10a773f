"""The entry form: save on submit, then post in the chosen channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import delivery, ids
from bot.deps import Deps
from bot.render.replies import EMPTY_TEXT, too_long_field_error
from bot.services import entries as entry_service
from bot.services import journey as journey_service
from handlers.events.home import publish_home_for
from handlers.views import state
from storage.models import Area, EntryKind

ENTRY_ID = "mindset_entry_id"


def entry_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    meta = state.metadata(view)
    try:
        kind = EntryKind(str(meta.get("kind")))
    except ValueError:
        kind = EntryKind.PROUD
    text = state.text_value(view, ids.ENTRY_TEXT_BLOCK, ids.ENTRY_TEXT_INPUT)
    channel = state.selected_conversation(view, ids.ENTRY_CHANNEL_BLOCK, ids.ENTRY_CHANNEL_INPUT)
    if not channel:
        ack(response_action="errors", errors={ids.ENTRY_CHANNEL_BLOCK: "Choose a channel to share in."})
        return
    area_value = state.selected_value(view, ids.ENTRY_AREA_BLOCK, ids.ENTRY_AREA_INPUT)
    area = Area(area_value) if area_value in {a.value for a in Area} else None
    stage_value = state.selected_value(view, ids.ENTRY_STAGE_BLOCK, ids.ENTRY_STAGE_INPUT)
    team_id = body["team"]["id"]
    stage = (
        journey_service.chosen_stage(stage_value, journey_service.stage_options(deps, team_id=team_id))
        if stage_value
        else None
    )
    group_ids = [
        int(value)
        for value in state.selected_values(view, ids.ENTRY_GROUPS_BLOCK, ids.ENTRY_GROUPS_INPUT)
        if value.isdigit()
    ]
    source_channel = meta.get("src_channel")
    source_ts = meta.get("src_ts")
    try:
        logged = entry_service.log_entry(
            deps,
            entry_service.NewEntry(
                team_id=body["team"]["id"],
                kind=kind,
                author_id=body["user"]["id"],
                channel_id=channel,
                text=text,
                idempotency_key=f"view:{view['id']}",
                area=area,
                stage=stage,
                group_ids=group_ids,
                source_channel_id=str(source_channel) if source_channel else None,
                source_ts=str(source_ts) if source_ts else None,
            ),
        )
    except entry_service.TextEmpty:
        ack(response_action="errors", errors={ids.ENTRY_TEXT_BLOCK: EMPTY_TEXT})
        return
    except entry_service.TextTooLong as too_long:
        ack(response_action="errors", errors={ids.ENTRY_TEXT_BLOCK: too_long_field_error(too_long.length)})
        return
    if logged.created:
        context[ENTRY_ID] = logged.card.id
    ack()


def after_entry_submitted(
    body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    entry_id = context.get(ENTRY_ID)
    if entry_id is None:
        return
    user_id = body["user"]["id"]

    def tell_by_dm(**message: Any) -> None:
        client.chat_postMessage(channel=user_id, text=message["text"])

    delivery.post_entry(deps, client, team_id=body["team"]["id"], entry_id=entry_id, tell=tell_by_dm)
    if state.metadata(view).get("home"):
        publish_home_for(deps, client, team_id=body["team"]["id"], user_id=user_id)
