"""`/mindset ambassador join|leave`, `/mindset ambassadors` and `/mindset digest [channel|schedule]`."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.deps import Deps
from bot.engine.channel_directory import learn_channels
from bot.render import ambassadors as render
from bot.render.digest import digest_blocks, digest_fallback
from bot.services import ambassadors as ambassador_service
from bot.services import people as people_service
from bot.services.people import SettingsProblem
from bot.worktime import local_date, zone
from handlers.commands.mindset_admin import after_admins
from handlers.roles import guard

DIGEST_NOW = "mindset_digest_now"
CHANNEL_NAME = "mindset_digest_channel_name"

AMBASSADOR_USAGE = "`/mindset ambassador join [#group-name …]` or `/mindset ambassador leave`."
DIGEST_USAGE = (
    "`/mindset digest` shows this week so far; `/mindset digest channel here|#name|off` sets where it is "
    "also posted; `/mindset digest schedule mon 09:00` sets when it comes; `/mindset digest timezone "
    "Europe/Berlin` sets the workspace's time zone, which the digest channel's week and time follow."
)
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
    if (verb, len(args)) in (("channel", 2), ("schedule", 3), ("timezone", 2)):
        what = {"channel": "change the digest channel", "schedule": "change when the digest comes"}
        guard(deps, context, team_id, user_id, what.get(verb, "change the workspace's time zone"))
    if not verb:
        context[DIGEST_NOW] = True
        ack()
    elif verb == "channel" and len(args) == 2:
        _digest_channel(ack, command, args[1], deps, context)
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


def _digest_channel(ack: Ack, command: dict[str, Any], word: str, deps: Deps, context: BoltContext) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    lowered = word.lower()
    if lowered in ("off", "none"):
        settings = ambassador_service.set_digest_channel(deps, team_id=team_id, by=user_id, channel=None)
        ack(text=render.digest_settings(settings, changed="No digest channel any more."), response_type="ephemeral")
        return
    channel = None
    if lowered == "here":
        channel = str(command.get("channel_id") or "")
        if not channel.startswith(("C", "G")):
            raise SettingsProblem("Run `/mindset digest channel here` in the channel that should get the digest.")
    elif (link := CHANNEL_LINK.match(word)) is not None:
        channel = link[1]
    if channel is not None:
        settings = ambassador_service.set_digest_channel(deps, team_id=team_id, by=user_id, channel=channel)
        ack(
            text=render.digest_settings(settings, changed=f"The digest will also go to <#{channel}>."),
            response_type="ephemeral",
        )
        return
    name = CHANNEL_NAME_WORD.match(lowered)
    if name is None:
        shown = people_service.escape_text(word[:40].replace("`", "'"))
        raise SettingsProblem(f"`{shown}` is not a channel. {DIGEST_USAGE}")
    context[CHANNEL_NAME] = name[1]  # looked up by name after the answer (it takes Slack a moment)
    ack()


def after_mindset_command(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    after_admins(command, context, client, respond, deps)
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
    name = context.get(CHANNEL_NAME)
    if name:
        channel = find_channel(client, name)
        if channel is None:
            respond(
                text=f"I could not find a channel called #{name} that I can see. Run `/mindset digest channel here` "
                "in it (invite me first if it is private).",
                response_type="ephemeral",
            )
            return
        settings = ambassador_service.set_digest_channel(deps, team_id=team_id, by=user_id, channel=channel)
        respond(
            text=render.digest_settings(settings, changed=f"The digest will also go to <#{channel}>."),
            response_type="ephemeral",
        )


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
