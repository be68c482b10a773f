"""Posting entries to Slack after the person has had their answer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot import slack_errors
from bot.deps import Deps
from bot.engine.channel_directory import learn_channels
from bot.render.entries import entry_blocks, entry_fallback, not_posted_message, post_later_message
from bot.services import entries as entry_service

log = logging.getLogger("mindset.delivery")

Tell = Callable[..., Any]


def slack_error(error: SlackApiError) -> str:
    data = error.response.data if error.response is not None else {}
    return str(data.get("error") if isinstance(data, dict) else "") or "unknown_error"


def post_entry(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    entry_id: int,
    tell: Tell,
    card: entry_service.EntryCard | None = None,
    record: Callable[[str], None] | None = None,
) -> None:
    """Post a stored entry in its channel; when the channel refuses, tell its author how to fix it.

    `record`: how to record the post's message ts (a batch of many posts, bot/background.py), instead of
    at once; only for an entry with no message to link to (no permalink to record with it). Its channel is
    then for the recorder to learn (`learn_channel`), once the post is recorded, as here."""
    if card is None:
        card = entry_service.get_card(deps, team_id=team_id, entry_id=entry_id)
    if card is None or card.message_ts is not None:
        return
    permalink = None
    if card.source_channel_id and card.source_ts and not card.source_permalink:
        permalink = original_permalink(client, card.source_channel_id, card.source_ts)
        if permalink:
            card = replace(card, source_permalink=permalink)
    try:
        result = client.chat_postMessage(
            channel=card.channel_id,
            text=entry_fallback(card),
            blocks=entry_blocks(card),
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as error:
        code = slack_error(error)
        if code in slack_errors.CHANNEL_REFUSED:
            log.info("Entry %s of %s not posted in %s: %s", entry_id, team_id, card.channel_id, code)
            entry_service.record_post(
                deps, team_id=team_id, entry_id=entry_id, message_ts=None, error=code, permalink=permalink
            )
            tell(text=not_posted_message(card, code), response_type="ephemeral", replace_original=False)
            return
        if code in slack_errors.PERMANENT:
            raise
        _post_later(card, tell, f"Slack answered {code}")
        return
    except slack_errors.UNREACHABLE as error:
        _post_later(card, tell, f"no answer from Slack ({type(error).__name__})")
        return
    if record is not None and permalink is None:
        record(str(result["ts"]))  # and, once recorded, learn the channel (`learn_channel`)
        return
    entry_service.record_post(
        deps, team_id=team_id, entry_id=entry_id, message_ts=str(result["ts"]), permalink=permalink
    )
    learn_channel(deps, client, team_id=team_id, channel_id=card.channel_id)


def learn_channel(deps: Deps, client: WebClient, *, team_id: str, channel_id: str) -> None:
    """After the first post in a channel: learn whether it is public, so that the digest can quote it at once."""
    learn_channels(
        deps.session_factory,
        client,
        team_id=team_id,
        channel_ids=[channel_id],
        now=deps.clock(),
        known=deps.known_channels,
    )


def _post_later(card: entry_service.EntryCard, tell: Tell, why: str) -> None:
    """Slack is unwell (its own retries are spent): the entry stays unposted, the engine posts it later
    (`entry_post`), and the author hears that it is saved, so that nobody logs it twice."""
    log.warning("Entry %s of %s not posted yet, left to the engine: %s", card.id, card.team_id, why, exc_info=True)
    try:
        tell(text=post_later_message(card), response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("Could not tell the author of entry %s that its post waits", card.id, exc_info=True)


def original_permalink(client: WebClient, channel: str, ts: str) -> str | None:
    """The link to the message an entry was logged from (a message shortcut), or None when Slack will not say."""
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError:
        log.info("No permalink for %s/%s", channel, ts, exc_info=True)
        return None


def update_entry_message(deps: Deps, client: WebClient, card: entry_service.EntryCard) -> None:
    """Show the entry's new state (a root cause) in the message the bot posted."""
    if card.message_ts is None:
        return
    client.chat_update(
        channel=card.channel_id, ts=card.message_ts, text=entry_fallback(card), blocks=entry_blocks(card)
    )


def refresh_entry_message(deps: Deps, client: WebClient, *, team_id: str, entry_id: int) -> None:
    """Show an entry's current state (root cause, action items) in its message, if it was posted."""
    card = entry_service.get_card(deps, team_id=team_id, entry_id=entry_id)
    if card is not None:
        update_entry_message(deps, client, card)


def answer_where_asked(response_url: str, *, text: str, blocks: list[dict[str, Any]], replace: bool = True) -> None:
    """Answer in the (ephemeral) message a form was opened from, through its response URL: redraw it
    (`replace`), or add a private reply under it."""
    WebhookClient(response_url, timeout=10).send(
        text=text, blocks=blocks, replace_original=replace, response_type="ephemeral"
    )
