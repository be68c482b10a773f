"""The buttons of reviews with one's lead: Accept / Decline (the named lead), Add a note / Mark reviewed
(the lead and the report only: the service checks who clicks)."""

from __future__ import annotations

import contextlib
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.deps import Deps
from bot.render import leads as render
from bot.services import leads as lead_service
from bot.services.replays import Replayed
from handlers.replays import click_key
from handlers.views.state import int_or_none


def _who(body: dict[str, Any]) -> tuple[str, str]:
    return body["team"]["id"], body["user"]["id"]


def _private(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def after_answer(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """Accept or Decline: the request's message says the answer; the person who named the lead is told."""
    team_id, user_id = _who(body)
    link_id = int_or_none(action.get("value"))
    accepted = action.get("action_id") == ids.LEAD_ACCEPT
    try:
        if link_id is None:
            raise lead_service.LeadProblem(lead_service.LINK_GONE)
        answered = lead_service.answer(
            deps, team_id=team_id, link_id=link_id, user_id=user_id, accept=accepted, key=click_key(body, action)
        )
    except Replayed:
        return
    except lead_service.LeadProblem as problem:
        _private(respond, str(problem))
        return
    said = render.answered_text(answered.report_id, accepted=answered.accepted)
    respond(text=said, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": said}}], replace_original=True)
    with contextlib.suppress(SlackApiError):  # `/mindset lead` shows it too
        client.chat_postMessage(
            channel=answered.report_id, text=render.told_report_text(answered.lead_id, accepted=answered.accepted)
        )


def open_note_form(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    team_id, user_id = _who(body)
    review_id = int_or_none(action.get("value"))
    try:
        if review_id is None:
            raise lead_service.LeadProblem(lead_service.NOT_FOUND)
        card, role = lead_service.get_review(deps, team_id=team_id, review_id=review_id, user_id=user_id)
    except lead_service.LeadProblem as problem:
        _private(respond, str(problem))
        return
    container = body.get("container") or {}
    metadata = {"channel": container.get("channel_id"), "ts": container.get("message_ts")}
    client.views_open(trigger_id=body["trigger_id"], view=render.note_modal(card, role=role, metadata=metadata))


def after_done(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """Mark reviewed: the message shows it at once; the other one is told."""
    team_id, user_id = _who(body)
    review_id = int_or_none(action.get("value"))
    try:
        if review_id is None:
            raise lead_service.LeadProblem(lead_service.NOT_FOUND)
        card, role, changed = lead_service.mark_reviewed(
            deps, team_id=team_id, review_id=review_id, user_id=user_id, key=click_key(body, action)
        )
    except Replayed:
        return
    except lead_service.LeadProblem as problem:
        _private(respond, str(problem))
        return
    message = body.get("message") or {}
    intro = None
    for block in message.get("blocks") or []:  # the message's own first line stays (review, nudge, note)
        intro = (block.get("text") or {}).get("text", "").split("\n*Success Index*")[0] or None
        break
    respond(
        text=render.review_text(card, role=role),
        blocks=render.review_blocks(card, role=role, intro=intro),
        replace_original=True,
    )
    if changed:
        other = card.report_id if role is lead_service.Role.LEAD else card.lead_id
        with contextlib.suppress(SlackApiError):
            client.chat_postMessage(channel=other, text=render.reviewed_told(card, by_role=role))
