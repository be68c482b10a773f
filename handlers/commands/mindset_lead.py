"""`/mindset lead [@person|none]`: who one's lead is, naming one (they are asked to accept), removing one."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.render import leads as render
from bot.services import leads as lead_service
from bot.services.owners import not_a_person
from bot.services.people import SettingsProblem, escape_text
from bot.services.replays import Replayed
from handlers.commands.mindset_admin import _user_by_name, person_named

LEAD_PENDING = "mindset_lead_pending"  # (user id or None, name or None): finished after the answer
ROLE = "be a lead"


def command_key(command: dict[str, Any]) -> str | None:
    """What Slack makes unique in a slash command: its trigger (None when a request has none)."""
    trigger = command.get("trigger_id")
    return f"command:{trigger}" if trigger else None


def lead(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    if not args:
        found = lead_service.overview(deps, team_id=team_id, user_id=user_id)
        ack(text=render.overview_text(found), response_type="ephemeral")
        return
    if len(args) != 1:
        raise SettingsProblem(render.LEAD_USAGE)
    word = args[0]
    if word.lower() in ("none", "remove", "off"):
        try:
            removed = lead_service.remove_lead(deps, team_id=team_id, report_id=user_id, key=command_key(command))
        except Replayed:
            ack()  # this very command was handled before (a replay): its answer was given then
            return
        ack(text=render.removed_text(removed), response_type="ephemeral")
        return
    target, name = person_named(word, render.LEAD_USAGE)
    if target is None:
        context[LEAD_PENDING] = (None, name)  # looked up by name after the answer
    elif target == user_id:
        raise SettingsProblem("You cannot be your own lead: name the person you review your commitments with.")
    else:
        context[LEAD_PENDING] = (target, None)  # Slack is asked whether they are a person first
    ack()


def after_lead(command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps) -> None:
    pending = context.get(LEAD_PENDING)
    if not pending:
        return
    target, name = pending
    team_id, user_id = command["team_id"], command["user_id"]
    if target is None:
        try:
            user = _user_by_name(client, name)
        except SlackApiError:
            respond(
                text="I could not ask Slack who that is just now. Try again in a minute.", response_type="ephemeral"
            )
            return
        if user is None:
            respond(
                text=f"I could not find @{escape_text(name)} in this workspace. Pick them from the list as you "
                "type `@`.",
                response_type="ephemeral",
            )
            return
        target = str(user["id"])
    problem = not_a_person(client, user_id=target, bot_user_id=context.bot_user_id, role=ROLE)
    if problem is not None:
        respond(text=problem, response_type="ephemeral")
        return
    try:
        named = lead_service.name_lead(
            deps, team_id=team_id, report_id=user_id, lead_id=target, key=command_key(command)
        )
    except lead_service.LeadProblem as refused:
        respond(text=str(refused), response_type="ephemeral")
        return
    except Replayed:
        return  # this very command was handled before (a replay): its answer was given then
    if named.new:
        text, blocks = render.request_message(user_id, named.link_id)
        try:
            client.chat_postMessage(channel=target, text=text, blocks=blocks)
        except SlackApiError:
            lead_service.remove_lead(deps, team_id=team_id, report_id=user_id)
            respond(
                text=f"I could not send <@{target}> the request just now, so nothing changed. Try again later.",
                response_type="ephemeral",
            )
            return
    respond(text=render.named_text(named), response_type="ephemeral")
