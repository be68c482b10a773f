"""`/mindset settings`, `/mindset admins [add|remove @someone]`, and the check that guards every settings change."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.render import admin as render
from bot.services import admins as admin_service
from bot.services import workspace_settings
from bot.services.people import SettingsProblem, escape_text
from handlers.time_zones import time_zone_of

ADMIN_PENDING = "mindset_admin_pending"  # (verb, user id or None, name or None): finished after the answer

ADMINS_USAGE = (
    "`/mindset admins` lists the Customer Mindset admins; a workspace admin or owner names one with "
    "`/mindset admins add @someone` and removes one with `/mindset admins remove @someone`."
)
USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
USER_NAME = re.compile(r"^@?([a-z0-9][a-z0-9._-]{0,79})$")
USERS_LIST_PAGES = 20


def person_named(word: str, usage: str) -> tuple[str | None, str | None]:
    """(user id, None) for a mention or an id, (None, username) for a name to look up; SettingsProblem else."""
    mention = USER_MENTION.match(word)
    target = mention[1] if mention is not None else (word if USER_ID.match(word) else None)
    if target is not None:
        return target, None
    name = USER_NAME.match(word.lower())
    if name is None:
        shown = escape_text(word[:40].replace("`", "'"))
        raise SettingsProblem(f"`{shown}` is not a person. {usage}")
    return None, name[1]


def settings(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    if args:
        raise SettingsProblem(
            "`/mindset settings` takes nothing after it: it shows the workspace's settings and their last changes."
        )
    team_id, user_id = command["team_id"], command["user_id"]
    tz = time_zone_of(deps, context.client, team_id=team_id, user_id=user_id) if context.client else None
    found = workspace_settings.overview(deps, team_id=team_id, user_id=user_id, reader_tz=tz)
    ack(text=render.settings_text(found), blocks=render.settings_blocks(found), response_type="ephemeral")


def admins(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    verb = args[0].lower() if args else ""
    if not verb and not args:
        ack(text=render.admins_text(admin_service.list_admins(deps, team_id=team_id)), response_type="ephemeral")
        return
    if verb not in ("add", "remove") or len(args) != 2:
        raise SettingsProblem(ADMINS_USAGE)
    try:
        admin_service.require_workspace_admin(
            deps, context.client, team_id=team_id, user_id=user_id, what=f"{verb} Customer Mindset admins"
        )
    except admin_service.NotAllowed as refused:
        raise SettingsProblem(str(refused)) from None
    target, name = person_named(args[1], ADMINS_USAGE)
    if target is None:
        context[ADMIN_PENDING] = (verb, None, name)  # looked up by name after the answer
        ack()
        return
    if verb == "remove":
        removed = admin_service.remove_admin(deps, team_id=team_id, user_id=target, by=user_id)
        ack(text=render.admin_removed(target, removed=removed), response_type="ephemeral")
        return
    context[ADMIN_PENDING] = (verb, target, None)  # Slack is asked who they are (a person, not a bot) first
    ack()


def after_admins(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    pending = context.get(ADMIN_PENDING)
    if not pending:
        return
    verb, target, name = pending
    team_id, user_id = command["team_id"], command["user_id"]
    try:
        user = _user_by_id(client, target) if target else _user_by_name(client, name)
    except SlackApiError:
        respond(text="I could not ask Slack who that is just now. Try again in a minute.", response_type="ephemeral")
        return
    if user is None:
        shown = f"@{escape_text(name)}" if name else f"<@{target}>"
        respond(
            text=f"I could not find {shown} in this workspace. Pick them from the list as you type `@`.",
            response_type="ephemeral",
        )
        return
    found_id = str(user["id"])
    if verb == "remove":
        removed = admin_service.remove_admin(deps, team_id=team_id, user_id=found_id, by=user_id)
        respond(text=render.admin_removed(found_id, removed=removed), response_type="ephemeral")
        return
    if user.get("is_bot") or found_id == "USLACKBOT":
        respond(text=f"<@{found_id}> is a bot: only people can be Customer Mindset admins.", response_type="ephemeral")
        return
    if user.get("deleted"):
        respond(text=f"<@{found_id}> is deactivated: they cannot be an admin.", response_type="ephemeral")
        return
    try:
        added = admin_service.add_admin(deps, team_id=team_id, user_id=found_id, by=user_id)
    except admin_service.AdminProblem as problem:
        respond(text=str(problem), response_type="ephemeral")
        return
    respond(text=render.admin_added(found_id, added=added), response_type="ephemeral")


def _user_by_id(client: WebClient, user_id: str) -> dict[str, Any] | None:
    try:
        user: dict[str, Any] = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if error.response is not None and error.response.get("error") in ("user_not_found", "user_not_visible"):
            return None
        raise
    return user


def _user_by_name(client: WebClient, name: str) -> dict[str, Any] | None:
    """The member whose username or display name is `name`, looking through at most a few pages."""
    cursor: str | None = None
    for _ in range(USERS_LIST_PAGES):
        page = client.users_list(limit=200, cursor=cursor or None)
        for member in page.get("members") or []:
            profile = member.get("profile") or {}
            names = {str(member.get("name") or ""), str(profile.get("display_name") or "")}
            if name in {n.lower() for n in names if n}:
                found: dict[str, Any] = member
                return found
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None
