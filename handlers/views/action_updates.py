"""The forms that update one action item: a note, a new date, a new owner, dropping it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import delivery, ids
from bot.deps import Deps
from bot.render.actions import action_blocks, action_text, day_label
from bot.render.blocks import section
from bot.services import actions as action_service
from bot.services import people as people_service
from bot.services.actions import ActionCard
from bot.services.owners import not_a_person
from bot.services.replays import Replayed
from handlers.events.home import publish_home_for
from handlers.replays import view_key
from handlers.views import state
from handlers.views.action import field_error
from storage.models import ActionStatus

CHANGED = "mindset_action_changed"
SAID = "mindset_action_said"

# (team, user, action id) -> the item after the change
Change = Callable[[str, str, int], ActionCard]


def _apply(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    context: BoltContext,
    *,
    change: Change,
    first_block: str,
    said: Callable[[ActionCard], str],
) -> None:
    """Run the change; show a problem next to its field, or close the form and say what changed."""
    action_id = state.int_or_none(state.metadata(view).get("action_id"))
    try:
        if action_id is None:
            raise LookupError(action_service.NOT_FOUND)
        card = change(body["team"]["id"], body["user"]["id"], action_id)
    except action_service.ActionProblem as problem:
        ack(response_action="errors", errors=field_error(problem, first_block))
        return
    except (LookupError, action_service.NotAllowed) as problem:
        ack(response_action="errors", errors={first_block: str(problem)})
        return
    except Replayed:
        ack()  # this very form was saved before: it has had its effect and its answer
        return
    context[CHANGED] = card.id
    context[SAID] = said(card)
    ack()


def note_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    note = state.text_value(view, ids.ACTION_NOTE_BLOCK, ids.ACTION_NOTE_INPUT)
    _apply(
        ack,
        body,
        view,
        context,
        change=lambda team, user, item: action_service.add_note(
            deps, team_id=team, action_id=item, user_id=user, note=note, key=view_key(view)
        ),
        first_block=ids.ACTION_NOTE_BLOCK,
        said=lambda card: ":memo: Your note is saved.",
    )


def move_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    due = state.selected_date(view, ids.ACTION_DUE_BLOCK, ids.ACTION_DUE_INPUT)
    note = state.text_value(view, ids.ACTION_NOTE_BLOCK, ids.ACTION_NOTE_INPUT)
    today = people_service.today_of(deps, team_id=body["team"]["id"], user_id=body["user"]["id"])
    _apply(
        ack,
        body,
        view,
        context,
        change=lambda team, user, item: action_service.reschedule(
            deps, team_id=team, action_id=item, user_id=user, due=due, today=today, note=note, key=view_key(view)
        ),
        first_block=ids.ACTION_DUE_BLOCK,
        said=lambda card: (
            f":calendar: Now due {day_label(card.due_date)}. The first promise "
            f"({day_label(card.original_due_date)}) stays on record for the Success Index."
            if card.rescheduled
            else f":calendar: Due {day_label(card.due_date)}, as first promised."
        ),
    )


def hand_over_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    new_owner = state.selected_user(view, ids.ACTION_OWNER_BLOCK, ids.ACTION_OWNER_INPUT)

    def change(team: str, user: str, item: int) -> ActionCard:
        if not new_owner:
            raise action_service.ActionProblem("owner", "Choose who takes it on.")
        problem = not_a_person(client, user_id=new_owner, bot_user_id=context.bot_user_id, role="take it on")
        if problem is not None:
            raise action_service.ActionProblem("owner", problem)
        return action_service.reassign(
            deps, team_id=team, action_id=item, user_id=user, new_owner=new_owner, key=view_key(view)
        )

    _apply(
        ack,
        body,
        view,
        context,
        change=change,
        first_block=ids.ACTION_OWNER_BLOCK,
        said=lambda card: f":handshake: <@{card.owner_id}> owns it now and is told at once.",
    )


def drop_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, deps: Deps) -> None:
    reason = state.text_value(view, ids.ACTION_REASON_BLOCK, ids.ACTION_REASON_INPUT)
    _apply(
        ack,
        body,
        view,
        context,
        change=lambda team, user, item: action_service.set_status(
            deps,
            team_id=team,
            action_id=item,
            user_id=user,
            status=ActionStatus.DROPPED,
            reason=reason,
            key=view_key(view),
        ),
        first_block=ids.ACTION_REASON_BLOCK,
        said=lambda card: (
            ":heavy_multiplication_x: Dropped, with your reason on record. Thank you for closing the loop."
        ),
    )


def after_item_form(
    body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Say what changed where the person clicked, with the item as it stands now."""
    action_id = context.get(CHANGED)
    if action_id is None:
        return
    team_id, user_id = body["team"]["id"], body["user"]["id"]
    card = action_service.get_card(deps, team_id=team_id, action_id=action_id)
    if card is None:
        return
    if card.source_entry_id is not None:
        delivery.refresh_entry_message(deps, client, team_id=team_id, entry_id=card.source_entry_id)
    if state.metadata(view).get("home"):
        publish_home_for(deps, client, team_id=team_id, user_id=user_id)
    response_url = state.metadata(view).get("response_url")
    if not isinstance(response_url, str):
        return
    today = people_service.today_of(deps, team_id=team_id, user_id=user_id)
    said = str(context.get(SAID) or "Saved.")
    delivery.answer_where_asked(
        response_url,
        text=f"{said} {action_text(card, today)}",
        blocks=[section(said), *action_blocks(card, today)],
        replace=False,
    )
