"""Buttons and menus of the customer groups list."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.deps import Deps
from bot.render.admin import archived_groups_blocks, archived_groups_text
from bot.render.entries import tag_as_name
from bot.render.groups import groups_blocks, groups_text
from bot.render.modals import group_name_modal
from bot.services import groups as group_service
from bot.services.people import SettingsProblem
from bot.slack_text import OPTION_TEXT_MAX, escape_mrkdwn
from handlers.roles import guard
from handlers.views.state import int_or_none

ARCHIVED = "mindset_archived"
RENAME = "mindset_rename"
REFUSED = "mindset_group_refused"
RESTORED = "mindset_group_restored"


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
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    if verb in (ids.GROUP_MENU_ARCHIVE, ids.GROUP_MENU_RENAME) and group_id is not None:
        try:
            what = "archive customer groups" if verb == ids.GROUP_MENU_ARCHIVE else "rename customer groups"
            guard(deps, context, team_id, user_id, what)
        except SettingsProblem as refused:
            context[REFUSED] = str(refused)
            ack()
            return
    if verb == ids.GROUP_MENU_ARCHIVE and group_id is not None:
        archived = group_service.archive_group(deps, team_id=team_id, by=user_id, group_id=group_id)
        context[ARCHIVED] = archived.name if archived else ""
    elif verb == ids.GROUP_MENU_RENAME and group_id is not None:
        context[RENAME] = group_id
    ack()


def after_group_menu(
    body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    team_id = body["team"]["id"]
    if REFUSED in context:
        respond(text=context[REFUSED], response_type="ephemeral", replace_original=False)
        return
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


def restore_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Restore an archived group (`/mindset groups archived`); the list is redrawn right after the answer."""
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    group_id = int_or_none(action.get("value"))
    try:
        guard(deps, context, team_id, user_id, "restore customer groups")
    except SettingsProblem as refused:
        context[REFUSED] = str(refused)
        ack()
        return
    restored = group_service.restore_group(deps, team_id=team_id, by=user_id, group_id=group_id) if group_id else None
    context[RESTORED] = f"Restored *{escape_mrkdwn(restored.name)}*." if restored else "That group no longer exists."
    ack()


def after_restore(body: dict[str, Any], context: BoltContext, respond: Respond, deps: Deps) -> None:
    if REFUSED in context:
        respond(text=context[REFUSED], response_type="ephemeral", replace_original=False)
        return
    archived = group_service.list_archived(deps, team_id=body["team"]["id"])
    respond(
        text=archived_groups_text(archived),
        blocks=archived_groups_blocks(archived, notice=context.get(RESTORED)),
        replace_original=True,
    )
