"""`/mindset ambassador join|leave`, `/mindset ambassadors` and `/mindset digest [channel|schedule]`."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.engine.channel_directory import learn_channels
from bot.render import ambassadors as render
from bot.render.digest import digest_blocks, digest_fallback
from bot.services import ambassadors as ambassador_service
from bot.services import people as people_service
from bot.services.people import SettingsProblem
from bot.worktime import local_date, zone
from handlers.commands.mindset_admin import after_admins
from handlers.commands.mindset_journey import after_journey
from handlers.commands.mindset_lead import after_lead
from handlers.roles import guard

DIGEST_NOW = "mindset_digest_now"
CHANNEL_WANTED = "mindset_digest_channel_wanted"
SHARED_OK = "shared"  # `/mindset digest channel <where> shared`: yes, people of other organisations read it

AMBASSADOR_USAGE = "`/mindset ambassador join [#group-name …]` or `/mindset ambassador leave`."
DIGEST_USAGE = (
    "`/mindset digest` shows this week so far; `/mindset digest channel here|#name|off` sets where it is "
    "also posted (add `shared` to confirm a channel shared with other organisations); "
    "`/mindset digest schedule mon 09:00` sets when it comes; `/mindset digest timezone "
    "Europe/Berlin` sets the workspace's time zone, which the digest channel's week and time follow."
)
# conversations.info's errors for a channel this workspace's bot cannot see
CANNOT_SEE = frozenset({"channel_not_found", "not_in_channel", "missing_scope", "team_access_not_granted"})
CHANNEL_LINK = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_NAME_WORD = re.compile(r"^#?([a-z0-9][a-z0-9_-]{0,79})$")


def ambassador(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    verb = args[0].lower() if args else ""
    if verb == "join":
        card = ambassador_service.join(deps, team_id=team_id, user_id=user_id, group_words=args[1:])
        ack(text=render.joined(card), response_type="ephemeral")
    elif verb == "leave" and len(args) == 1:
        ack(
            text=render.left(ambassador_service.leave(deps, team_id=team_id, user_id=user_id)),
            response_type="ephemeral",
        )
    else:
        raise SettingsProblem(f"Ambassadors: {AMBASSADOR_USAGE}")


def ambassadors(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    if args:
        raise SettingsProblem("`/mindset ambassadors` takes nothing after it: it lists the ambassadors.")
    cards = ambassador_service.list_ambassadors(deps, team_id=command["team_id"])
    ack(text=render.ambassador_list(cards), response_type="ephemeral")


def digest(ack: Ack, command: dict[str, Any], args: list[str], deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    verb = args[0].lower() if args else ""
    if (verb, len(args)) in (("channel", 2), ("channel", 3), ("schedule", 3), ("timezone", 2)):
        what = {"channel": "change the digest channel", "schedule": "change when the digest comes"}
        guard(deps, context, team_id, user_id, what.get(verb, "change the workspace's time zone"))
    if not verb:
        context[DIGEST_NOW] = True
        ack()
    elif verb == "channel" and len(args) == 2:
        _digest_channel(ack, command, args[1], deps, context, shared_ok=False)
    elif verb == "channel" and len(args) == 3 and args[2].lower() == SHARED_OK:
        _digest_channel(ack, command, args[1], deps, context, shared_ok=True)
    elif verb in ("channel", "schedule", "timezone") and len(args) == 1:  # alone: the current value
        ack(
            text=render.digest_settings(ambassador_service.digest_settings(deps, team_id=team_id)),
            response_type="ephemeral",
        )
    elif verb == "schedule" and len(args) == 3:
        try:
            days = people_service.parse_days(args[1])
        except SettingsProblem:
            shown = people_service.escape_text(args[1][:20].replace("`", "'"))
            raise SettingsProblem(
                f"`{shown}` is not a day of the week: use mon, tue, wed, thu, fri, sat or sun, for example "
                "`/mindset digest schedule mon 09:00`."
            ) from None
        if len(days) != 1:
            raise SettingsProblem("Name one day for the digest, for example `/mindset digest schedule mon 09:00`.")
        at = people_service.parse_clock(args[2])
        settings = ambassador_service.set_digest_schedule(
            deps, team_id=team_id, by=user_id, weekday=next(iter(days)), at=at
        )
        ack(text=render.digest_settings(settings, changed="Done."), response_type="ephemeral")
    elif verb == "timezone" and len(args) == 2:
        settings = ambassador_service.set_workspace_zone(deps, team_id=team_id, by=user_id, zone_name=args[1])
        ack(
            text=render.digest_settings(settings, changed=f"The workspace's time zone is now {settings.tz}."),
            response_type="ephemeral",
        )
    else:
        raise SettingsProblem(f"Digest: {DIGEST_USAGE}")


def _digest_channel(
    ack: Ack, command: dict[str, Any], word: str, deps: Deps, context: BoltContext, *, shared_ok: bool
) -> None:
    """Off at once; a channel once Slack has said, after the answer, that it is one of this workspace's
    that the bot can see (and whether people of other organisations are in it)."""
    team_id, user_id = command["team_id"], command["user_id"]
    lowered = word.lower()
    if lowered in ("off", "none"):
        settings = ambassador_service.set_digest_channel(deps, team_id=team_id, by=user_id, channel=None)
        ack(text=render.digest_settings(settings, changed="No digest channel any more."), response_type="ephemeral")
        return
    if lowered == "here":
        channel = str(command.get("channel_id") or "")
        if not channel.startswith(("C", "G")):
            raise SettingsProblem("Run `/mindset digest channel here` in the channel that should get the digest.")
        wanted = {"id": channel}
    elif (link := CHANNEL_LINK.match(word)) is not None:
        wanted = {"id": link[1]}
    elif (name := CHANNEL_NAME_WORD.match(lowered)) is not None:
        wanted = {"name": name[1]}  # looked up by name after the answer (it takes Slack a moment)
    else:
        shown = people_service.escape_text(word[:40].replace("`", "'"))
        raise SettingsProblem(f"`{shown}` is not a channel. {DIGEST_USAGE}")
    context[CHANNEL_WANTED] = {**wanted, "shared_ok": shared_ok}
    ack()


def after_mindset_command(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    after_admins(command, context, client, respond, deps)
    after_lead(command, context, client, respond, deps)
    after_journey(command, context, client, respond, deps)
    if context.get(DIGEST_NOW):
        # channels whose privacy the bot never learnt (a workspace whose digest the engine does not send)
        learn_channels(
            deps.session_factory,
            client,
            team_id=team_id,
            channel_ids=ambassador_service.recent_channel_ids(deps, team_id=team_id),
            now=deps.clock(),
        )
        found = ambassador_service.digest_so_far(deps, team_id=team_id, user_id=user_id)
        today = local_date(deps.clock(), zone(found.week.tz.key))
        respond(text=digest_fallback(found), blocks=digest_blocks(found, today=today), response_type="ephemeral")
        return
    wanted = context.get(CHANNEL_WANTED)
    if wanted:
        respond(text=_set_digest_channel(deps, client, team_id, user_id, wanted), response_type="ephemeral")


def _set_digest_channel(deps: Deps, client: WebClient, team_id: str, by: str, wanted: dict[str, Any]) -> str:
    """Set the digest channel if Slack shows it is fit for it; what to tell the person either way."""
    channel = wanted.get("id")
    if channel is None:
        name = str(wanted.get("name"))
        channel = find_channel(client, name)
        if channel is None:
            return (
                f"I could not find a channel called #{name} that I can see. Run `/mindset digest channel here` "
                "in it (invite me first if it is private)."
            )
    problem = ambassador_service.digest_channel_problem(
        channel, channel_info(client, channel), shared_ok=bool(wanted.get("shared_ok"))
    )
    if problem is not None:
        return problem
    settings = ambassador_service.set_digest_channel(deps, team_id=team_id, by=by, channel=channel)
    return render.digest_settings(settings, changed=f"The digest will also go to <#{channel}>.")


def channel_info(client: WebClient, channel: str) -> dict[str, Any] | None:
    """What Slack shows this workspace's bot of the channel; None when it cannot see it."""
    try:
        found = client.conversations_info(channel=channel).get("channel")
    except SlackApiError as error:
        if error.response is not None and error.response.get("error") in CANNOT_SEE:
            return None
        raise
    return found if isinstance(found, dict) else None


def find_channel(client: WebClient, name: str, *, pages: int = 20) -> str | None:
    """The id of the channel called `name` that the bot can see, looking through at most `pages` pages."""
    cursor: str | None = None
    for _ in range(pages):
        page = client.conversations_list(
            types="public_channel,private_channel", exclude_archived=True, limit=1000, cursor=cursor or None
        )
        for channel in page.get("channels") or []:
            if channel.get("name") == name:
                return str(channel["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None
