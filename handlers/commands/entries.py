"""`/proud` and `/sorry`: log with text straight away, or open the form when there is none."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import delivery
from bot.deps import Deps
from bot.render.entries import entry_usage, saved_blocks, saved_text
from bot.render.modals import entry_modal
from bot.render.replies import too_long_reply
from bot.services import entries as entry_service
from bot.services import groups as group_service
from handlers.commands.mindset import SUBCOMMANDS as MINDSET_SUBCOMMANDS
from storage.models import EntryKind

# context keys the ack function leaves for its lazy follow-up
ENTRY_ID = "mindset_entry_id"
OPEN_MODAL = "mindset_open_modal"
ENTRY_CARD = "mindset_entry_card"


def proud_command(ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    _log_from_command(EntryKind.PROUD, ack, command, context, deps)


def sorry_command(ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    _log_from_command(EntryKind.SORRY, ack, command, context, deps)


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


def _log_from_command(kind: EntryKind, ack: Ack, command: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    text = command.get("text") or ""
    if not text.strip():
        context[OPEN_MODAL] = kind.value
        ack()
        return
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
    if logged.created:
        context[ENTRY_ID] = logged.card.id
        context[ENTRY_CARD] = logged.card  # just stored: nothing links to it yet, no need to read it again
    ack(
        text=saved_text(logged.card, logged.unknown_tags),
        blocks=saved_blocks(logged.card, logged.unknown_tags),
        response_type="ephemeral",
    )


def after_entry_command(
    command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Slow work after the answer: open the form, or post the entry in the channel."""
    kind = context.get(OPEN_MODAL)
    if kind:
        groups = group_service.list_options(deps, team_id=command["team_id"])
        client.views_open(
            trigger_id=command["trigger_id"],
            view=entry_modal(
                kind=EntryKind(kind),
                groups=groups,
                metadata={},
                initial_channel=command.get("channel_id"),
            ),
        )
        return
    entry_id = context.get(ENTRY_ID)
    if entry_id is None:
        return
    delivery.post_entry(
        deps, client, team_id=command["team_id"], entry_id=entry_id, tell=respond, card=context.get(ENTRY_CARD)
    )
