"""Naming customer groups: add and rename, then refresh the list the person was looking at."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.delivery import answer_where_asked, update_entry_message
from bot.deps import Deps
from bot.render.groups import groups_blocks, groups_text
from bot.services import entries as entry_service
from bot.services import groups as group_service
from bot.services.people import SettingsProblem
from bot.slack_text import escape_mrkdwn
from handlers.roles import guard
from handlers.views import state

NOTICE = "mindset_group_notice"
ADDED = "mindset_group_added"


def group_add_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    name = state.text_value(view, ids.GROUP_NAME_BLOCK, ids.GROUP_NAME_INPUT)
    try:
        group = group_service.add_group(deps, team_id=body["team"]["id"], name=name, by=body["user"]["id"])
    except group_service.GroupProblem as problem:
        ack(response_action="errors", errors={ids.GROUP_NAME_BLOCK: str(problem)})
        return
    context[NOTICE] = f"Added *{escape_mrkdwn(group.name)}*."
    context[ADDED] = group.id
    ack()


def group_rename_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps
) -> None:
    name = state.text_value(view, ids.GROUP_NAME_BLOCK, ids.GROUP_NAME_INPUT)
    group_id = state.int_or_none(state.metadata(view).get("group_id"))
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    try:
        if group_id is None:
            raise group_service.GroupProblem("That group no longer exists; it may have been archived.")
        guard(deps, context, team_id, user_id, "rename customer groups")
        group = group_service.rename_group(deps, team_id=team_id, by=user_id, group_id=group_id, name=name)
    except (group_service.GroupProblem, SettingsProblem) as problem:
        ack(response_action="errors", errors={ids.GROUP_NAME_BLOCK: str(problem)})
        return
    context[NOTICE] = f"Renamed to *{escape_mrkdwn(group.name)}*."
    ack()


def after_group_change(
    body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Replace the ephemeral list the modal was opened from, so it shows the change; a group made for an
    entry's unknown `#tag` tags that entry, and its post shows it."""
    meta = state.metadata(view)
    response_url = meta.get("response_url")
    entry_id = state.int_or_none(meta.get("entry_id"))
    if entry_id is not None and context.get(ADDED) is not None:
        _tag_entry(body, context, client, deps, entry_id=entry_id, response_url=response_url)
        return
    if not context.get(NOTICE) or not isinstance(response_url, str):
        return
    options = group_service.list_options(deps, team_id=body["team"]["id"])
    answer_where_asked(response_url, text=groups_text(options), blocks=groups_blocks(options, notice=context[NOTICE]))


def _tag_entry(
    body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps, *, entry_id: int, response_url: Any
) -> None:
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    card = entry_service.tag_with_group(deps, team_id=team_id, entry_id=entry_id, group_id=context[ADDED], by=user_id)
    if card is not None:
        update_entry_message(deps, client, card)
        notice = f"{context[NOTICE]} Your entry #{entry_id} is tagged with it."
    else:
        notice = f"{context[NOTICE]} Your entry #{entry_id} is gone, so it was not tagged."
    if isinstance(response_url, str):
        answer_where_asked(
            response_url,
            text=notice,
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": notice}}],
            replace=False,
        )
