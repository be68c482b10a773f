"""The note form of a quarterly review with one's lead."""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.deps import Deps
from bot.render import leads as render
from bot.services import leads as lead_service
from bot.services.replays import Replayed
from handlers.replays import view_key
from handlers.views import state

SAVED = "mindset_lead_note_saved"


def note_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Saved before the answer, so a problem shows next to the field."""
    note = state.text_value(view, ids.LEAD_NOTE_BLOCK, ids.LEAD_NOTE_INPUT)
    review_id = state.int_or_none(state.metadata(view).get("review_id"))
    try:
        if review_id is None:
            raise lead_service.LeadProblem(lead_service.NOT_FOUND)
        card, role = lead_service.add_note(
            deps,
            team_id=body["team"]["id"],
            review_id=review_id,
            user_id=body["user"]["id"],
            note=note,
            key=view_key(view),
        )
    except lead_service.LeadProblem as problem:
        ack(response_action="errors", errors={ids.LEAD_NOTE_BLOCK: str(problem)})
        return
    except Replayed:
        ack()
        return
    context[SAVED] = (card, role)
    ack()


def after_note(body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps) -> None:
    """The message the form was opened from shows the note; the other one gets it with the review."""
    saved = context.get(SAVED)
    if not saved:
        return
    card, role = saved
    metadata = state.metadata(view)
    channel, ts = metadata.get("channel"), metadata.get("ts")
    if isinstance(channel, str) and isinstance(ts, str):
        with contextlib.suppress(SlackApiError):  # the message is gone: the note is saved all the same
            client.chat_update(
                channel=channel,
                ts=ts,
                text=render.review_text(card, role=role),
                blocks=render.review_blocks(card, role=role),
            )
    other = card.report_id if role is lead_service.Role.LEAD else card.lead_id
    text, blocks = render.note_told(card, by_role=role)
    client.chat_postMessage(channel=other, text=text, blocks=blocks)
