"""The pulse's form: kept once per person and quarter, without the person (bot/services/pulse.py)."""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.deps import Deps
from bot.render import pulse as render
from bot.services import pulse as pulse_service
from handlers.views import state
from storage.repositories.pulse import PRACTICES

ANSWERED = "mindset_pulse_answered"


def _score(view: dict[str, Any], practice: str) -> int | None:
    value = state.selected_value(view, ids.PULSE_SCORE_BLOCK + practice, ids.PULSE_SCORE_INPUT)
    return int(value) if value in ("1", "2", "3", "4", "5") else None


def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Kept before the answer, so a problem shows in the form; a second submission keeps nothing."""
    metadata = state.metadata(view)
    quarter = pulse_service.parse_occasion(metadata.get("q"))
    better = state.text_value(view, ids.PULSE_BETTER_BLOCK, ids.PULSE_BETTER_INPUT) or None
    try:
        if quarter is None:
            raise pulse_service.PulseProblem(pulse_service.NOT_A_PULSE)
        pulse_service.submit(
            deps,
            team_id=body["team"]["id"],
            user_id=body["user"]["id"],
            year=quarter[0],
            quarter=quarter[1],
            scores=tuple(_score(view, practice) for practice in PRACTICES),
            better=better,
        )
    except pulse_service.PulseProblem as problem:
        ack(response_action="errors", errors={ids.PULSE_BETTER_BLOCK: str(problem)})
        return
    context[ANSWERED] = True
    ack(response_action="update", view=render.thanks_modal())


def after_submitted(
    body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """The message that asked shows it was answered (its button gone)."""
    if not context.get(ANSWERED):
        return
    metadata = state.metadata(view)
    channel, ts = metadata.get("channel"), metadata.get("ts")
    if isinstance(channel, str) and isinstance(ts, str):
        with contextlib.suppress(SlackApiError):  # the message is gone: the answer is kept all the same
            client.chat_update(channel=channel, ts=ts, text=render.THANKS, blocks=render.thanks_blocks())
