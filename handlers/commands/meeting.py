"""`/meeting`: register a meeting (a form), list yours, or ask the opening question here and now."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import slack_errors
from bot.delivery import slack_error
from bot.deps import Deps
from bot.render.entries import not_posted_how
from bot.render.meeting_forms import meeting_modal
from bot.render.meetings import (
    MEETING_HELP,
    meeting_list_blocks,
    meeting_list_text,
    prompt_blocks,
    prompt_text,
)
from bot.services import meetings as meeting_service
from bot.services import people as people_service
from bot.slack_text import escape_mrkdwn
from handlers.time_zones import time_zone_of

log = logging.getLogger("mindset.meetings")

OPEN_FORM = "mindset_meeting_form"
PROMPT_ID = "mindset_prompt_id"


def meeting_command(ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    words = (command.get("text") or "").split()
    sub = words[0].lower() if words else ""
    team_id, user_id = command["team_id"], command["user_id"]
    if not sub:
        context[OPEN_FORM] = True
        ack()
    elif sub == "list" and len(words) == 1:
        cards = meeting_service.list_for(deps, team_id=team_id, user_id=user_id)
        blocks = meeting_list_blocks(cards, deps.clock())
        ack(text=meeting_list_text(cards), blocks=blocks, response_type="ephemeral")
    elif sub == "now":
        card, created = meeting_service.open_prompt_now(
            deps,
            team_id=team_id,
            user_id=user_id,
            channel_id=command["channel_id"],
            title=" ".join(words[1:]),
            key=f"command:{command.get('trigger_id') or command.get('response_url')}",
        )
        if created:
            context[PROMPT_ID] = card.id
        ack()
    elif sub == "help" and len(words) == 1:
        ack(text=MEETING_HELP, response_type="ephemeral")
    else:
        typed = escape_mrkdwn(" ".join(words)[:50])
        ack(text=f"I don't know `/meeting {typed}`. Here is what I can do:\n{MEETING_HELP}", response_type="ephemeral")


def after_meeting_command(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    if context.get(OPEN_FORM):
        client.views_open(
            trigger_id=command["trigger_id"],
            view=meeting_modal(
                requester=user_id,
                today=people_service.today_of(deps, team_id=team_id, user_id=user_id),
                tz=time_zone_of(deps, client, team_id=team_id, user_id=user_id),
                metadata={},
                channel=command.get("channel_id"),
            ),
        )
        return
    prompt_id = context.get(PROMPT_ID)
    if prompt_id is not None:
        post_prompt_now(deps, client, respond, team_id=team_id, prompt_id=prompt_id, channel=command["channel_id"])


def post_prompt_now(
    deps: Deps, client: WebClient, respond: Respond, *, team_id: str, prompt_id: int, channel: str
) -> None:
    card = meeting_service.get_prompt_card(deps, team_id=team_id, prompt_id=prompt_id)
    if card is None or card.message_ts is not None:
        return  # a repeated command: the question is already there
    try:
        result = client.chat_postMessage(channel=channel, text=prompt_text(card), blocks=prompt_blocks(card))
    except SlackApiError as error:
        code = slack_error(error)
        if code not in slack_errors.CHANNEL_REFUSED:
            raise
        log.info("Prompt %s of %s not posted in %s: %s", prompt_id, team_id, channel, code)
        respond(text=not_posted_how(channel, code), response_type="ephemeral", replace_original=False)
        return
    meeting_service.record_sent_now(
        deps, team_id=team_id, prompt_id=prompt_id, channel=str(result["channel"]), ts=str(result["ts"])
    )
