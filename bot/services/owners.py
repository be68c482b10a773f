"""Who can own an action item: a person of the workspace, not an app, Slackbot or a deactivated account.

Asked while the form waits for its answer (Slack gives a submit 3 seconds), so Slack gets one try of a
second; when it cannot tell, the person is taken at their word rather than the form failing."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_client import hasty_copy

log = logging.getLogger("mindset.owners")

SLACKBOT = "USLACKBOT"


def _name(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    return str(
        profile.get("display_name") or user.get("real_name") or profile.get("real_name") or user.get("name") or ""
    )


def not_a_person(client: WebClient, *, user_id: str, bot_user_id: str | None, role: str = "own it") -> str | None:
    """Why `user_id` cannot {role} (a sentence for the form's field), or None when they can."""
    if user_id == SLACKBOT:
        return f"Slackbot cannot {role}: choose a person."
    if bot_user_id and user_id == bot_user_id:
        return f"I cannot {role} myself: choose a person."
    try:
        user = hasty_copy(client).users_info(user=user_id)["user"]
    except SlackApiError as error:  # Slack's answer says why: no traceback needed
        why = error.response.get("error") if error.response is not None else "no answer"
        log.info("Could not check %s with users.info (%s); taken as a person", user_id, why)
        return None
    except (OSError, KeyError, TypeError):
        log.info("Could not check %s with users.info; taken as a person", user_id, exc_info=True)
        return None
    name = _name(user) or "That account"
    if user.get("deleted"):
        return f"{name} is deactivated in this workspace, so cannot {role}: choose someone who is still here."
    if user.get("is_bot") or user.get("is_app_user") or user.get("id") == SLACKBOT:
        return f"{name} is an app, not a person, so cannot {role}: choose a person."
    return None


# Slack waits 3 seconds for a form's answer: people involved are checked only while this much has passed
INVOLVED_BUDGET_SECONDS = 1.2


def not_people(client: WebClient, *, user_ids: Sequence[str], bot_user_id: str | None, started: float) -> str | None:
    """Why some of the people involved cannot be (the first found), or None. Slackbot and the bot itself are
    refused at once; others are asked of Slack while the budget since `started` (time.monotonic) lasts."""
    for user_id in dict.fromkeys(user_ids):
        quick = user_id == SLACKBOT or (bot_user_id is not None and user_id == bot_user_id)
        if not quick and time.monotonic() - started > INVOLVED_BUDGET_SECONDS:
            continue
        problem = not_a_person(client, user_id=user_id, bot_user_id=bot_user_id, role="be involved")
        if problem is not None:
            return problem
    return None
