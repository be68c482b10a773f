"""The buttons of ideal futures: Propose (opens the form), Endorse / Withdraw (anyone, once each), Confirm as
common future (the workspace's admins only: anyone else is told who can)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.deps import Deps
from bot.render import futures as render
from bot.services import futures as future_service
from bot.services import groups as group_service
from bot.services.people import SettingsProblem
from bot.services.replays import Replayed
from handlers.actions.action_items import from_home
from handlers.commands.mindset_future import board_for
from handlers.replays import click_key
from handlers.roles import guard

REFUSED = "mindset_future_refused"
CONFIRM_WHAT = "confirm a customer group's common future"


def _who(body: dict[str, Any]) -> tuple[str, str]:
    return body["team"]["id"], body["user"]["id"]


def _private(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def redraw(deps: Deps, respond: Respond, *, team_id: str, user_id: str, group_id: int | None, notice: str) -> None:
    """The list the button was in, up to date, with what happened at its top."""
    board = board_for(deps, team_id=team_id, user_id=user_id, group_id=group_id)
    respond(
        text=render.board_text(board),
        blocks=render.board_blocks(board, notice=notice, one_group=group_id is not None),
        replace_original=True,
    )


def open_propose_form(body: dict[str, Any], action: dict[str, Any], client: WebClient, deps: Deps) -> None:
    team_id, _ = _who(body)
    groups = group_service.list_options(deps, team_id=team_id)
    if not groups:
        client.views_open(trigger_id=body["trigger_id"], view=render.no_groups_modal())
        return
    value = str(action.get("value") or "")
    metadata = {
        "home": from_home(body) or None,
        "response_url": body.get("response_url"),
        "group_id": int(value) if value.isdigit() else None,  # the list showed one group's futures
    }
    client.views_open(
        trigger_id=body["trigger_id"],
        view=render.propose_modal(groups, metadata=metadata, group_id=int(value) if value.isdigit() else None),
    )


def after_endorse(body: dict[str, Any], action: dict[str, Any], respond: Respond, deps: Deps) -> None:
    """Endorse or withdraw, keyed by the click: a double click counts once; the list is drawn again."""
    team_id, user_id = _who(body)
    future_id, group_id = render.parse_value(action.get("value"))
    endorsing = action.get("action_id") == ids.FUTURE_ENDORSE
    try:
        card, changed = future_service.endorse(
            deps, team_id=team_id, user_id=user_id, future_id=future_id, endorse=endorsing, key=click_key(body, action)
        )
    except Replayed:
        return
    except future_service.FutureProblem as problem:
        _private(respond, str(problem))
        return
    notice = render.endorsed_notice(card, endorsed=endorsing, changed=changed)
    redraw(deps, respond, team_id=team_id, user_id=user_id, group_id=group_id, notice=notice)


def confirm_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Only the workspace's admins (and the Customer Mindset admins they named) may confirm: checked before the
    answer, so a refusal names who can."""
    team_id, user_id = _who(body)
    try:
        guard(deps, context, team_id, user_id, CONFIRM_WHAT)
    except SettingsProblem as refused:
        context[REFUSED] = str(refused)
    ack()


def after_confirm(
    body: dict[str, Any], action: dict[str, Any], context: BoltContext, respond: Respond, deps: Deps
) -> None:
    if REFUSED in context:
        _private(respond, context[REFUSED])
        return
    team_id, user_id = _who(body)
    future_id, group_id = render.parse_value(action.get("value"))
    try:
        confirmed = future_service.confirm(
            deps, team_id=team_id, by=user_id, future_id=future_id, key=click_key(body, action)
        )
    except Replayed:
        return
    except future_service.FutureProblem as problem:
        _private(respond, str(problem))
        return
    notice = render.confirmed_notice(confirmed.card, replaced=confirmed.replaced, changed=confirmed.changed)
    redraw(deps, respond, team_id=team_id, user_id=user_id, group_id=group_id, notice=notice)
