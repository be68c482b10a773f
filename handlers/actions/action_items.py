"""Buttons on action items (status at once, or a form first) and the buttons that open the new-item form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot import delivery, ids
from bot.deps import Deps
from bot.render.action_forms import action_modal, drop_modal, hand_over_modal, move_modal, note_modal
from bot.render.actions import action_text, refresh_item
from bot.render.modals import View
from bot.services import actions as action_service
from bot.services import entries as entry_service
from bot.services import futures as future_service
from bot.services import groups as group_service
from bot.services import journey as journey_service
from bot.services import people as people_service
from bot.services.actions import ActionCard
from bot.services.replays import Replayed
from handlers.events.home import publish_home_for
from handlers.replays import click_key
from handlers.views.state import int_or_none
from storage.models import ActionSource, ActionStatus, EntryKind

STATUS_OF_BUTTON = {
    ids.ACTION_DONE: ActionStatus.DONE,
    ids.ACTION_ON_TRACK: ActionStatus.ON_TRACK,
    ids.ACTION_AT_RISK: ActionStatus.AT_RISK,
    ids.ACTION_REOPEN: ActionStatus.OPEN,
}
FORM_OF_BUTTON: dict[str, Callable[..., View]] = {
    ids.ACTION_NOTE: note_modal,
    ids.ACTION_MOVE: move_modal,
    ids.ACTION_HAND_OVER: hand_over_modal,
    ids.ACTION_DROP: drop_modal,
}
CHANGED = "mindset_action_changed"
PROBLEM = "mindset_action_problem"


def from_home(body: dict[str, Any]) -> bool:
    """Whether a button was clicked on the Home tab (which is then published again, up to date)."""
    return (body.get("view") or {}).get("type") == "home"


def tell(deps: Deps, client: WebClient, body: dict[str, Any], respond: Respond, text: str) -> None:
    """Tell the person who clicked, where they clicked: privately under a message, or at the top of
    their Home tab (Slack gives a Home tab's buttons no response URL)."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    elif from_home(body):
        team_id, user_id = _who(body)
        publish_home_for(deps, client, team_id=team_id, user_id=user_id, notice=text)
    else:
        client.chat_postMessage(channel=body["user"]["id"], text=text)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    return body["team"]["id"], body["user"]["id"]


def _today(deps: Deps, body: dict[str, Any]) -> date:
    team_id, user_id = _who(body)
    return people_service.today_of(deps, team_id=team_id, user_id=user_id)


def status_value(value: Any) -> tuple[int | None, ActionStatus | None]:
    """A status button's value: `<id>:<status drawn>`, or the bare id of buttons drawn before the status
    was part of it."""
    number, _, seen = str(value or "").partition(":")
    return int_or_none(number), ActionStatus(seen) if seen in set(ActionStatus) else None


def status_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    """Done, on track, at risk, reopen: saved before the answer, shown right after it."""
    team_id, user_id = _who(body)
    action_id, seen = status_value(action.get("value"))
    try:
        if action_id is None:
            raise LookupError(action_service.NOT_FOUND)
        card = action_service.set_status(
            deps,
            team_id=team_id,
            action_id=action_id,
            user_id=user_id,
            status=STATUS_OF_BUTTON[action["action_id"]],
            seen=seen,
            key=click_key(body, action),
        )
    except Replayed:
        pass  # this very click was handled before: it has had its effect and its answer
    except (action_service.AlreadyClosed, action_service.ItemChanged) as closed:
        context[PROBLEM] = str(closed)
        context[CHANGED] = action_id  # and show it as it is
    except (LookupError, action_service.NotAllowed) as problem:
        context[PROBLEM] = str(problem)
    else:
        context[CHANGED] = card.id
    ack()


def after_status_clicked(
    body: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Refresh the item where it was clicked; the rest of the message stays as it was."""
    if PROBLEM in context:
        tell(deps, client, body, respond, context[PROBLEM])
    action_id = context.get(CHANGED)
    if action_id is None:
        return
    team_id, _ = _who(body)
    card = action_service.get_card(deps, team_id=team_id, action_id=action_id)
    if card is None:
        return
    if from_home(body):
        publish_home_for(deps, client, team_id=team_id, user_id=body["user"]["id"])
    message = body.get("message")
    if message and message.get("blocks"):
        today = _today(deps, body)
        respond(
            text=str(message.get("text") or action_text(card, today)),
            blocks=refresh_item(message["blocks"], card, today),
            replace_original=True,
        )
    if card.source_entry_id is not None:
        delivery.refresh_entry_message(deps, client, team_id=team_id, entry_id=card.source_entry_id)


def _editable_card(
    deps: Deps, client: WebClient, body: dict[str, Any], value: Any, respond: Respond
) -> ActionCard | None:
    """The clicked item if this person may change it; otherwise they are told why not."""
    team_id, user_id = _who(body)
    action_id = int_or_none(value)
    card = action_service.get_card(deps, team_id=team_id, action_id=action_id) if action_id is not None else None
    problem = None
    if card is None:
        problem = action_service.NOT_FOUND
    elif not card.editable_by(user_id):
        problem = action_service.NOT_ALLOWED
    elif not card.is_open:
        problem = f"This item is {card.status.value}: reopen it first to change it."
    if problem is not None:
        tell(deps, client, body, respond, problem)
        return None
    return card


def open_item_form(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Add a note, move the date, hand over, drop: each asks for a little more first."""
    card = _editable_card(deps, client, body, action.get("value"), respond)
    if card is None:
        return
    form = FORM_OF_BUTTON[action["action_id"]]
    metadata = {"response_url": body.get("response_url"), "home": from_home(body) or None}
    client.views_open(trigger_id=body["trigger_id"], view=form(card, _today(deps, body), metadata=metadata))


def open_action_from_sorry(
    body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """The new-item form, linked to the sorry, with its customer groups and area filled in."""
    team_id, user_id = _who(body)
    entry_id = int_or_none(action.get("value"))
    card = entry_service.get_card(deps, team_id=team_id, entry_id=entry_id) if entry_id is not None else None
    if card is None or card.kind is not EntryKind.SORRY:
        respond(text="I could not find that sorry any more.", response_type="ephemeral", replace_original=False)
        return
    client.views_open(
        trigger_id=body["trigger_id"],
        view=action_modal(
            groups=group_service.list_options(deps, team_id=team_id),
            futures=future_service.confirmed_options(deps, team_id=team_id),
            creator=user_id,
            metadata={"source": ActionSource.SORRY.value, "entry_id": card.id},
            initial_group_ids=card.group_ids,
            initial_area=card.area,
            sorry_text=card.text,
            stages=journey_service.stage_options(deps, team_id=team_id),
            initial_stage=card.stage,
        ),
    )


def open_action_form(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The new-item form from the Home tab."""
    team_id, user_id = _who(body)
    client.views_open(
        trigger_id=body["trigger_id"],
        view=action_modal(
            groups=group_service.list_options(deps, team_id=team_id),
            futures=future_service.confirmed_options(deps, team_id=team_id),
            creator=user_id,
            metadata={"source": ActionSource.MANUAL.value, "home": True},
            stages=journey_service.stage_options(deps, team_id=team_id),
        ),
    )
