"""Workflow Builder steps (Bolt custom functions): log a proud, log a sorry, create an action item.

Bolt acknowledges the `function_executed` event at once; each step runs after that and ends with
`complete(outputs=…)` (functions.completeSuccess) or `fail(error=…)` (functions.completeError), which go
with the step's own token (the event's `bot_access_token`, `xwfp-`, which Bolt puts on the request's
client). The entry is posted with the bot's token, by the same path as `/proud` and `/sorry`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from slack_bolt import BoltContext, Complete, Fail
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import delivery, ids, slack_errors
from bot.deps import Deps
from bot.render import workflow_steps as texts
from bot.services import owners
from bot.services import workflow_steps as step_service
from bot.slack_client import with_token
from storage.models import EntryKind


def log_proud_step(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext, complete: Complete, fail: Fail, deps: Deps
) -> None:
    _entry_step(EntryKind.PROUD, event, body, context, complete, fail, deps)


def log_sorry_step(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext, complete: Complete, fail: Fail, deps: Deps
) -> None:
    _entry_step(EntryKind.SORRY, event, body, context, complete, fail, deps)


def create_action_step(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext, complete: Complete, fail: Fail, deps: Deps
) -> None:
    team_id = _team(body, context)
    bot = _bot_client(context)
    with _failing_kindly(fail):
        try:
            step = step_service.create_action(
                deps,
                team_id=team_id,
                function_execution_id=_execution(event),
                inputs=_inputs(event),
                not_a_person=lambda user_id: owners.not_a_person(bot, user_id=user_id, bot_user_id=context.bot_user_id),
            )
        except step_service.StepProblem as problem:
            fail(error=str(problem))
            return
        if not step.created:  # the same run, delivered again: its first delivery completes it
            return
        outputs: dict[str, Any] = {ids.STEP_ACTION_ID: step.card.id}
        if step.channel_id:
            text, blocks = texts.shared_action(step.card, step.today)
            try:
                posted = bot.chat_postMessage(
                    channel=step.channel_id, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
                )
            except SlackApiError as error:
                code = delivery.slack_error(error)
                if code not in slack_errors.CHANNEL_REFUSED:
                    raise
                fail(error=texts.not_posted("action item", step.card.id, step.channel_id, code))
                return
            link = delivery.original_permalink(bot, step.channel_id, str(posted["ts"]))
            if link:
                outputs[ids.STEP_PERMALINK] = link
        complete(outputs=outputs)
        if step.card.source_entry_id is not None:  # the sorry's message lists the items it led to
            delivery.refresh_entry_message(deps, bot, team_id=team_id, entry_id=step.card.source_entry_id)


def _entry_step(
    kind: EntryKind,
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    complete: Complete,
    fail: Fail,
    deps: Deps,
) -> None:
    team_id = _team(body, context)
    with _failing_kindly(fail):
        try:
            logged = step_service.log_entry(
                deps, team_id=team_id, kind=kind, function_execution_id=_execution(event), inputs=_inputs(event)
            )
        except step_service.StepProblem as problem:
            fail(error=str(problem))
            return
        if not logged.created:  # the same run, delivered again: its first delivery completes it
            return
        card = logged.card
        bot = _bot_client(context)
        delivery.post_entry(deps, bot, team_id=team_id, entry_id=card.id, tell=_nobody, card=card)
        posted = step_service.post_state(deps, team_id=team_id, entry_id=card.id)
        if posted.error:
            fail(error=texts.not_posted(step_service.WHAT[kind], card.id, card.channel_id, posted.error))
            return
        outputs: dict[str, Any] = {ids.STEP_ENTRY_ID: card.id}
        if posted.message_ts:  # else Slack is unwell: the engine posts it later, and it counts already
            link = delivery.original_permalink(bot, card.channel_id, posted.message_ts)
            if link:
                outputs[ids.STEP_PERMALINK] = link
        complete(outputs=outputs)


@contextlib.contextmanager
def _failing_kindly(fail: Fail) -> Iterator[None]:
    """A step that breaks still ends, in error, with a sentence (else the workflow waits for it until Slack
    gives up); the error goes on to be logged with its traceback (bot/errors.py)."""
    try:
        yield
    except Exception:
        with contextlib.suppress(Exception):
            fail(error=texts.STEP_BROKE)
        raise


def _nobody(**_: Any) -> None:
    """A step has no one to tell privately: how the post went is read back from the entry."""


def _bot_client(context: BoltContext) -> WebClient:
    client = context.client
    token = context.bot_token
    return with_token(client, token) if token else client


def _team(body: dict[str, Any], context: BoltContext) -> str:
    return str(context.team_id or body.get("team_id") or "")


def _execution(event: dict[str, Any]) -> str:
    return str(event.get("function_execution_id") or "")


def _inputs(event: dict[str, Any]) -> dict[str, Any]:
    inputs = event.get("inputs")
    return inputs if isinstance(inputs, dict) else {}


STEPS: dict[str, Callable[..., None]] = {
    ids.STEP_LOG_PROUD: log_proud_step,
    ids.STEP_LOG_SORRY: log_sorry_step,
    ids.STEP_CREATE_ACTION: create_action_step,
}
