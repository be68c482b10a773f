"""The one place where errors are handled: logged with their traceback, told kindly to the person.

Two doors lead here: Bolt's `@app.error` for errors raised before a request is answered, and
`in_background` for the work that runs after the answer (posting, opening modals).
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot import ids, metrics, slack_errors
from bot.boundary import ANSWER_DEADLINE
from bot.logs import request_context, request_team
from bot.render.modals import notice_view
from bot.slack_text import quote_back
from bot.workspace import as_authorized_team
from storage.db import Deadline, TransactionAbandoned

log = logging.getLogger("mindset.errors")

DATABASE_DOWN = (
    "I could not save this: the database is not answering right now, so nothing was stored. "
    "Please try again in a minute."
)
SOMETHING_WRONG = "Sorry, something went wrong on my side and it has been logged. Please try again in a minute."
SLACK_TROUBLE = "Slack did not answer me in time, so I could not finish. Please try again in a minute."
# After the answer: what the person sent may already be saved (the answer said so), so no "try again".
# The answer could not wait any longer for a database that took a commit and did not confirm it.
DATABASE_UNSURE = (
    "The database stopped answering while I was saving this, so I cannot tell whether it was stored. "
    "Please check in a minute before sending it again."
)
DATABASE_DOWN_AFTER_ANSWER = (
    "The database stopped answering while I was finishing up, so part of this may not have happened. "
    "Anything I told you was saved is saved: no need to send it again."
)


def is_database_error(error: BaseException) -> bool:
    """The database not answering (or refusing to work), as opposed to a bug such as a broken constraint."""
    if isinstance(error, TransactionAbandoned):
        return True
    return isinstance(error, OperationalError | DBAPIError | PoolTimeout) and not isinstance(
        error, IntegrityError | DataError
    )


def typed_text(body: dict[str, Any]) -> str | None:
    """What the person typed, so a failure can hand it back."""
    if isinstance(body.get("text"), str) and body.get("command"):
        return body["text"] or None
    view = body.get("view") or {}
    values = (view.get("state") or {}).get("values") or {}
    for block_id, action_id in (
        (ids.ENTRY_TEXT_BLOCK, ids.ENTRY_TEXT_INPUT),
        (ids.ROOT_CAUSE_BLOCK, ids.ROOT_CAUSE_INPUT),
        (ids.ACTION_TITLE_BLOCK, ids.ACTION_TITLE_INPUT),
        (ids.ACTION_NOTE_BLOCK, ids.ACTION_NOTE_INPUT),
        (ids.ACTION_REASON_BLOCK, ids.ACTION_REASON_INPUT),
    ):
        value = (values.get(block_id) or {}).get(action_id, {}).get("value")
        if value:
            return str(value)
    return None


def friendly_message(error: BaseException, body: dict[str, Any]) -> str:
    if is_database_error(error):
        message = DATABASE_DOWN
    elif isinstance(error, (SlackApiError, *slack_errors.UNREACHABLE)):
        message = SLACK_TROUBLE
    else:
        message = SOMETHING_WRONG
    text = typed_text(body)
    if text and is_database_error(error):
        message += f"\nHere is your text to try again:\n{quote_back(text)}"
    return message


def _describe(body: dict[str, Any]) -> str:
    return f"{metrics.request_label(body)} (team {request_team(body) or '?'})"


def handle_listener_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse | None:
    """Bolt's global error handler: the answer Slack gets when a listener raised before acking."""
    log.error("Listener failed for %s", _describe(body), exc_info=error)
    message = friendly_message(error, body)
    response, response_url = answer(body, message)
    if response_url:
        tell(response_url, message)
    return response


def late_answer(body: dict[str, Any], *, unsure: bool) -> tuple[BoltResponse, str | None]:
    """The answer when the database did not answer in time (bot/server.py answers without it), and where
    to tell the person besides (a button's `response_url`), if anywhere. `unsure`: a commit was under way.
    An event gets a 503, so that Slack delivers it again later (an uninstall must not be lost)."""
    if body.get("type") == "event_callback":  # no one to tell: Slack delivers an event again after a 5xx
        return BoltResponse(status=503, body=""), None
    if unsure:
        return answer(body, DATABASE_UNSURE)
    message = DATABASE_DOWN
    text = typed_text(body)
    if text:
        message += f"\nHere is your text to try again:\n{quote_back(text)}"
    return answer(body, message)


def answer(body: dict[str, Any], message: str) -> tuple[BoltResponse, str | None]:
    """`message` as the answer to this kind of request: an ephemeral reply to a command, the form
    replaced by a notice, or (buttons, shortcuts, events) an empty 200 and the `response_url` to tell."""
    if body.get("command"):
        return (
            BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": message}),
                headers={"content-type": "application/json;charset=utf-8"},
            ),
            None,
        )
    if body.get("type") == "view_submission":
        view = notice_view(title="Not saved", text=message)
        return (
            BoltResponse(
                status=200,
                body=json.dumps({"response_action": "update", "view": view}),
                headers={"content-type": "application/json;charset=utf-8"},
            ),
            None,
        )
    response_url = body.get("response_url")
    # Answer 200 so that Slack does not show a generic failure on top of our own message.
    return BoltResponse(status=200, body=""), response_url if isinstance(response_url, str) else None


def tell(response_url: str, message: str) -> None:
    try:
        WebhookClient(response_url, timeout=5).send(text=message, response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("Could not tell the person about the failure", exc_info=True)


def answered_without_waiting(context: Any) -> bool:
    """Whether the HTTP front answered this request itself, the database being too slow (bot/server.py):
    then nothing of it was stored, and nothing more of it may happen."""
    deadline = context.get(ANSWER_DEADLINE) if context is not None else None
    return isinstance(deadline, Deadline) and deadline.abandoned


def report_abandoned_failure(error: Exception, body: dict[str, Any]) -> None:
    """A request answered without the database (bot/server.py) failed when the database came back: the
    person was told, and nothing was stored. Refusing the late commit is the plan (a warning); any other
    error is logged with its traceback, as every error is."""
    if isinstance(error, TransactionAbandoned):
        log.warning("%s failed after it was answered without the database: %s", _describe(body), error)
    else:
        log.error("%s failed after it was answered without the database", _describe(body), exc_info=error)


def report_background_error(error: Exception, body: dict[str, Any], respond: Any) -> None:
    log.error("Background work failed for %s", _describe(body), exc_info=error)
    if respond is None:
        return
    message = DATABASE_DOWN_AFTER_ANSWER if is_database_error(error) else friendly_message(error, body)
    try:
        respond(text=message, response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("Could not tell the person about the failure", exc_info=True)


def finish_in_background(work: Callable[[], None], *, body: dict[str, Any], context: Any, respond: Any) -> None:
    """Run a request's work after its answer, on another thread (a lazy listener, or bot/background.py):
    in the request's log context, not at all when the request was answered without the database, and
    with its failure logged (traceback), counted and told to the person through `respond`."""
    # another thread, where the request's log context is not: set it again
    if isinstance(body, dict) and context is not None:
        as_authorized_team(body, context.team_id)  # as the listener before it saw it (handlers/middleware.py)
    with request_context(body):
        if answered_without_waiting(context):
            log.info("Not finishing %s: it was answered without the database", _describe(body))
            return
        try:
            work()
        except Exception as error:
            metrics.BACKGROUND_FAILURES.labels(metrics.request_label(body)).inc()
            report_background_error(error, body, respond)


def report_after_answer(error: Exception, *, body: dict[str, Any], respond: Any) -> None:
    """A request's work after its answer failed outside `finish_in_background` (a batch written for many
    requests, bot/background.py): logged in the request's context, counted and told, as there."""
    with request_context(body):
        metrics.BACKGROUND_FAILURES.labels(metrics.request_label(body)).inc()
        report_background_error(error, body, respond)


BACKGROUND_EXTRAS = ("body", "respond", "context")


def in_background(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a lazy listener so its failures reach `report_background_error`.

    Bolt injects arguments by the wrapper's signature: the function's own parameters plus
    `body` and `respond`, which the wrapper needs to tell the person. The extras come first:
    `bind` fills `deps` by keyword, which makes `deps` and every parameter after it keyword-only,
    and Bolt injects positional parameters only.
    """
    signature = inspect.signature(func)
    own = list(signature.parameters)
    params = list(signature.parameters.values())
    positional = [p for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword_only = [p for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    extras = [
        inspect.Parameter(extra, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        for extra in BACKGROUND_EXTRAS
        if extra not in own
    ]
    positional = extras + positional

    def wrapper(**kwargs: Any) -> None:
        finish_in_background(
            lambda: func(**{name: value for name, value in kwargs.items() if name in own}),
            body=kwargs.get("body") or {},
            context=kwargs.get("context"),
            respond=kwargs.get("respond"),
        )

    wrapper.__signature__ = signature.replace(parameters=positional + keyword_only)  # type: ignore[attr-defined]
    wrapper.__name__ = func.__name__
    wrapper.__qualname__ = func.__qualname__
    return wrapper
