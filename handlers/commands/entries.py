"""`/proud` and `/sorry`: log with text straight away, or open the form when there is none.

Posting an entry after the answer runs on the app's background threads (bot/background.py), not in a
Bolt lazy listener: no copy of the request, no second dispatch. The form (no text) is a listener of its
own (matched first), with a lazy listener to open it, as every other form."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import delivery, ids
from bot.deps import Deps
from bot.errors import finish_in_background, report_after_answer
from bot.render.entries import entry_usage, saved_blocks, saved_text
from bot.render.journey import stage_mark_note
from bot.render.modals import entry_modal
from bot.render.replies import too_long_reply
from bot.services import entries as entry_service
from bot.services import groups as group_service
from bot.services import journey as journey_service
from handlers.commands.mindset import SUBCOMMANDS as MINDSET_SUBCOMMANDS
from storage.models import EntryKind

log = logging.getLogger("mindset.entries")


def proud_command(
    ack: Ack,
    command: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    deps: Deps,
) -> None:
    _log_from_command(EntryKind.PROUD, ack, command, Request(body, context, client, respond), deps)


def sorry_command(
    ack: Ack,
    command: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    deps: Deps,
) -> None:
    _log_from_command(EntryKind.SORRY, ack, command, Request(body, context, client, respond), deps)


@dataclass(frozen=True)
class Request:
    """What the work after the answer needs of the request (no copy of it: Bolt's lazy listeners copy it all)."""

    body: dict[str, Any]
    context: BoltContext
    client: WebClient
    respond: Respond


# words the other commands take as a subcommand (`/action list`, `/meeting now`, `/mindset groups` …): typed
# after `/proud` or `/sorry` they are far more likely a mistake than the start of an entry
SUBCOMMAND_WORDS = frozenset({"help", "list", "now", *MINDSET_SUBCOMMANDS})
QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»"}


def unquoted(text: str) -> str | None:
    """The text inside the quotes when the whole of it is quoted (`"help desk answered in a minute"`)."""
    clean = text.strip()
    closing = QUOTES.get(clean[:1])
    if closing and len(clean) >= 2 and clean.endswith(closing):
        return clean[1:-1]
    return None


def subcommand_word(text: str) -> str | None:
    """The first word when it is one the other commands take as a subcommand (`help`, `list:` …)."""
    words = text.split()
    first = words[0].casefold().strip(".,:;!?") if words else ""
    return first if first in SUBCOMMAND_WORDS else None


def _log_from_command(kind: EntryKind, ack: Ack, command: dict[str, Any], request: Request, deps: Deps) -> None:
    text = command.get("text") or ""
    quoted = unquoted(text)
    if quoted is not None:
        text = quoted
    else:
        word = subcommand_word(text)
        if word is not None:
            ack(text=entry_usage(kind, word), response_type="ephemeral")
            return
    try:
        logged = entry_service.log_entry(
            deps,
            entry_service.NewEntry(
                team_id=command["team_id"],
                kind=kind,
                author_id=command["user_id"],
                channel_id=command["channel_id"],
                text=text,
                idempotency_key=f"command:{command.get('trigger_id') or command.get('response_url')}",
                tags_from_text=True,
            ),
        )
    except entry_service.TextTooLong as too_long:
        ack(text=too_long_reply(text, too_long.length), response_type="ephemeral")
        return
    stage_note = stage_mark_note(logged.stage_match, logged.stages)
    ack(
        text=saved_text(logged.card, logged.unknown_tags, stage_note),
        blocks=saved_blocks(logged.card, logged.unknown_tags, stage_note),
        response_type="ephemeral",
    )
    if logged.created:  # just stored: nothing links to it yet, so its card is posted as it is, not read again
        _post_after_answer(deps, request, logged.card)


@dataclass(frozen=True)
class Posted:
    """A post to record: the entry's workspace, id and message, and whom to tell if recording fails."""

    team_id: str
    entry_id: int
    channel_id: str
    message_ts: str
    request: Request


def _post_after_answer(deps: Deps, request: Request, card: entry_service.EntryCard) -> None:
    """Post the entry on the app's background threads, its failures through the one error path (bot/errors.py);
    its message is recorded with those of other entries posted meanwhile (one transaction). When
    `MOST_WAITING` posts wait already, this one is left to the engine (it posts every entry still unposted
    after ten minutes)."""
    background = deps.background
    assert background is not None, "the app factory gives listeners a background pool"
    posted = background.batches("entry-posts", partial(_record_posts, deps))

    def record(message_ts: str) -> None:
        posted.put(Posted(card.team_id, card.id, card.channel_id, message_ts, request))

    work = partial(
        delivery.post_entry,
        deps,
        request.client,
        team_id=card.team_id,
        entry_id=card.id,
        tell=request.respond,
        card=card,
        record=record,
    )
    job = partial(finish_in_background, work, body=request.body, context=request.context, respond=request.respond)
    if not background.submit(job):
        log.warning("Background threads busy: the entry is left to the engine to post")


def _record_posts(deps: Deps, batch: list[Posted]) -> None:
    """Record the posts in one transaction, then learn their channels (each known channel costs nothing);
    a failure is told to each author whom it concerns, as a failed post would be."""
    try:
        entry_service.record_posts(deps, [(post.team_id, post.entry_id, post.message_ts) for post in batch])
    except Exception as error:
        for post in batch:
            report_after_answer(error, body=post.request.body, respond=post.request.respond)
        return
    for post in {(post.team_id, post.channel_id): post for post in batch}.values():
        try:
            delivery.learn_channel(deps, post.request.client, team_id=post.team_id, channel_id=post.channel_id)
        except Exception as error:
            report_after_answer(error, body=post.request.body, respond=post.request.respond)


def with_text(command: dict[str, Any]) -> bool:
    """Bolt matcher: the command came with text (an entry, or a word to explain); else the form opens."""
    return bool((command.get("text") or "").strip())


def without_text(command: dict[str, Any]) -> bool:
    return not with_text(command)


def open_form_command(ack: Ack) -> None:
    """No text: the form to write the entry in opens after the answer (`after_form_command`)."""
    ack()


def after_form_command(command: dict[str, Any], client: WebClient, deps: Deps) -> None:
    groups = group_service.list_options(deps, team_id=command["team_id"])
    client.views_open(
        trigger_id=command["trigger_id"],
        view=entry_modal(
            kind=EntryKind.PROUD if command.get("command") == ids.PROUD else EntryKind.SORRY,
            groups=groups,
            metadata={},
            initial_channel=command.get("channel_id"),
            stages=journey_service.stage_options(deps, team_id=command["team_id"]),
        ),
    )
