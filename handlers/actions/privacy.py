"""`/mindset forget me`'s buttons, and the ⋯ menu on an entry's post (its author can delete it)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.deps import Deps
from bot.render.privacy import COPY_SENT, FORGOTTEN
from bot.services import privacy
from handlers.views.state import int_or_none

log = logging.getLogger("mindset.privacy")

POSTED = "mindset_forgotten_posts"
DELETED = "mindset_deleted_entry"
PROBLEM = "mindset_privacy_problem"


def _who(body: dict[str, Any]) -> tuple[str, str]:
    return body["team"]["id"], body["user"]["id"]


def send_copy(body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """The person's data as a JSON file, in a DM with the bot."""
    team_id, user_id = _who(body)
    data = privacy.my_data_json(deps, team_id=team_id, user_id=user_id)
    note = client.chat_postMessage(channel=user_id, text="Here is a copy of your Customer Mindset data (JSON).")
    client.files_upload_v2(
        channel=str(note["channel"]),
        thread_ts=str(note["ts"]),
        file=data,
        filename="customer-mindset-my-data.json",
        title="Your Customer Mindset data",
    )
    respond(text=COPY_SENT, response_type="ephemeral", replace_original=False)


def forget_confirmed(ack: Ack, body: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    team_id, user_id = _who(body)
    context[POSTED] = [(p.channel_id, p.message_ts) for p in privacy.forget(deps, team_id=team_id, user_id=user_id)]
    ack()


def after_forget(context: BoltContext, client: WebClient, respond: Respond, deps: Deps) -> None:
    """Remove the posts of the forgotten entries, then say it is done."""
    for channel, ts in context.get(POSTED) or []:
        _delete_post(client, channel, ts)
    respond(text=FORGOTTEN, replace_original=True)


def entry_menu_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Delete: only the author, and only an entry of this workspace that still exists."""
    team_id, user_id = _who(body)
    verb, _, value = str((action.get("selected_option") or {}).get("value") or "").partition(":")
    entry_id = int_or_none(value)
    if verb == ids.ENTRY_MENU_DELETE:
        try:
            deleted = (
                privacy.delete_entry(deps, team_id=team_id, entry_id=entry_id, user_id=user_id)
                if entry_id is not None
                else None
            )
        except privacy.NotTheAuthor as problem:
            context[PROBLEM] = str(problem)
        else:
            if deleted is None:
                context[PROBLEM] = "That entry no longer exists."
            elif deleted.message_ts:
                context[DELETED] = (deleted.channel_id, deleted.message_ts)
    ack()


def after_entry_menu(context: BoltContext, client: WebClient, respond: Respond, deps: Deps) -> None:
    """Say why nothing happened, or remove the post of the entry just deleted (where the database says
    it is: never just the message the menu was clicked on)."""
    if PROBLEM in context:
        respond(text=context[PROBLEM], response_type="ephemeral", replace_original=False)
        return
    if DELETED in context:
        channel, ts = context[DELETED]
        _delete_post(client, channel, ts)


def _delete_post(client: WebClient, channel: str, ts: str) -> None:
    try:
        client.chat_delete(channel=channel, ts=ts)
    except SlackApiError:
        log.info("Could not delete the post %s in %s", ts, channel, exc_info=True)
