"""Buttons and menus of the customer groups list."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.deps import Deps
from bot.render.entries import tag_as_name
from bot.render.groups import groups_blocks, groups_text
from bot.render.modals import group_name_modal
from bot.services import groups as group_service
from bot.slack_text import OPTION_TEXT_MAX, escape_mrkdwn
from handlers.views.state import int_or_none

ARCHIVED = "mindset_archived"
RENAME = "mindset_rename"


def open_add_modal(body: dict[str, Any], action: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The form to name a new group; from an entry's unknown `#tag`, named after the tag, to tag the entry."""
    metadata: dict[str, Any] = {"response_url": body.get("response_url")}
    initial = ""
    kind, _, rest = str(action.get("value") or "").partition(":")
    entry_id, _, tag = rest.partition(":")
    if kind == ids.GROUP_ADD_FOR_ENTRY and int_or_none(entry_id) is not None and tag:
        metadata["entry_id"] = int(entry_id)
        initial = tag_as_name(tag)[:OPTION_TEXT_MAX]
    client.views_open(
        trigger_id=body["trigger_id"],
        view=group_name_modal(
            callback_id=ids.GROUP_ADD_MODAL, title="Add a customer group", metadata=metadata, initial=initial
        ),
    )


def _chosen(action: dict[str, Any]) -> tuple[str, int | None]:
    value = str((action.get("selected_option") or {}).get("value") or "")
    verb, _, group_id = value.partition(":")
    return verb, int_or_none(group_id)


def group_menu_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    verb, group_id = _chosen(action)
    if verb == ids.GROUP_MENU_ARCHIVE and group_id is not None:
        archived = group_service.archive_group(deps, team_id=body["team"]["id"], group_id=group_id)
        context[ARCHIVED] = archived.name if archived else ""
    elif verb == ids.GROUP_MENU_RENAME and group_id is not None:
        context[RENAME] = group_id
    ack()


def after_group_menu(
    body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    team_id = body["team"]["id"]
    if ARCHIVED in context:
        name = context[ARCHIVED]
        notice = f"Archived *{escape_mrkdwn(name)}*." if name else "That group no longer exists."
        options = group_service.list_options(deps, team_id=team_id)
        respond(text=groups_text(options), blocks=groups_blocks(options, notice=notice), replace_original=True)
        return
    group_id = context.get(RENAME)
    if group_id is None:
        return
    current = group_service.group_name(deps, team_id=team_id, group_id=group_id)
    if current is None:
        respond(text="That group no longer exists.", response_type="ephemeral", replace_original=False)
        return
    client.views_open(
        trigger_id=body["trigger_id"],
        view=group_name_modal(
            callback_id=ids.GROUP_RENAME_MODAL,
            title="Rename group",
            metadata={"group_id": group_id, "response_url": body.get("response_url")},
            initial=current,
        ),
    )
