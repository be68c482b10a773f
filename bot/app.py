"""The app factory: the one place where the Bolt app, its listeners and its error handling meet."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from bot import metrics
from bot.background import POSTING_THREADS, Background
from bot.boundary import verified
from bot.deps import Deps
from bot.errors import answered_without_waiting, handle_listener_error, report_abandoned_failure
from bot.logs import request_context
from bot.slack_client import counting_copy, make_web_client
from handlers.registry import register_all

log = logging.getLogger("mindset.app")


class _BoltLines(logging.Filter):
    """What Bolt logs, less two things.

    Bolt reads SLACK_BOT_TOKEN from the environment itself and, since we hand it a client (which
    carries that very token, SLACK_API_URL and our retries), warns at every start that the token is
    unused: not a problem, so not logged. And Bolt puts whole request bodies in two of its lines (a
    refused signature, a request no listener takes): what anyone sent would reach the log, so those
    lines keep their first words only."""

    BODIES = ("Invalid request signature detected", "Unhandled request")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "`token` will be unused" in message:
            return False
        for start in self.BODIES:
            if message.startswith(start):
                record.msg, record.args = f"{start} (its body is not logged)", None
        return True


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("mindset.bolt")
    if not any(isinstance(existing, _BoltLines) for existing in logger.filters):
        logger.addFilter(_BoltLines())
    return logger


def build_app(
    deps: Deps,
    *,
    client: WebClient | None = None,
    oauth_settings: OAuthSettings | None = None,
    background_workers: int = 8,
    posting_threads: int = POSTING_THREADS,
) -> ObservedApp:
    """A ready Bolt app. Nothing here touches the network or the environment.

    With `oauth_settings` (many workspaces), Bolt serves the install page and the OAuth redirect and
    gives each request a client with its own workspace's token (our base URL and retries kept).

    `process_before_response=True` answers Slack as soon as each listener's quick part returns;
    everything slow (Web API calls) runs afterwards in lazy listeners on `background_workers`
    threads, or (posting the entries of `/proud` and `/sorry`, the busiest) on the app's own `background`
    pool of `posting_threads` (bot/background.py), which `app.background.close()` drains. Bolt's default
    mode instead polls for the answer in 10 ms steps.
    """
    settings = deps.settings
    background = Background(threads=posting_threads)
    deps = replace(deps, background=background)
    app = ObservedApp(
        client=client or make_web_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        oauth_flow=_install_flow(oauth_settings),
        process_before_response=True,
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(max_workers=background_workers, thread_name_prefix="slack-bg"),
        logger=_bolt_logger(),
    )
    app.background = background
    _cache_authorizations(app)
    app.error(_marking_failures(handle_listener_error))
    app.middleware(count_api_calls)
    register_all(app, deps)
    return app


def _install_flow(oauth_settings: OAuthSettings | None) -> OAuthFlow | None:
    """Bolt's OAuth flow, its install page bounded (bot/installations.py: 429 past the pending installs' cap)."""
    if oauth_settings is None:
        return None
    from bot.installations import BoundedInstallFlow  # the OAuth stores, only when serving many workspaces

    return BoundedInstallFlow(settings=oauth_settings, logger=_bolt_logger())


def _cache_authorizations(app: App) -> None:
    """Many workspaces: Bolt reads each request's token from the installation store, then asks Slack
    (auth.test) who that token is, on every request, unless its cache is on; App has no setting for
    it. The store is still read each time, so an uninstalled workspace's token is never served from
    the cache; a reinstall brings a new token, cached afresh."""
    authorize = getattr(app, "_authorize", None)
    if isinstance(authorize, InstallationStoreAuthorize):
        authorize.cache_enabled = True


FAILED = "mindset_failed"  # set in a request's context when a listener raised before the answer


class ObservedApp(App):
    """Bolt's app, with each request timed, counted and logged with its workspace and id.

    This wraps `dispatch` rather than being a global middleware: Bolt's `next()` only marks the
    middleware as passed and returns at once, and the listener runs after every middleware has
    returned, so a middleware can neither time the answer nor hold a log context around it.
    `dispatch` returns at the answer (the ack); the lazy listeners go on in other threads and set
    their log context in `in_background`.
    """

    background: Background

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        if req.lazy_only:  # a lazy listener dispatched again (not with the thread runner): counted already
            return super().dispatch(req)
        started = time.perf_counter()
        with request_context(req.body):
            response = super().dispatch(req)
        if not verified(req):  # not Slack's (bot/boundary.py): nothing from its body becomes a label
            metrics.SLACK_REQUESTS.labels(metrics.UNVERIFIED, "refused").inc()
            return response
        kind = metrics.request_label(req.body)
        metrics.SLACK_REQUEST_SECONDS.labels(kind).observe(time.perf_counter() - started)
        metrics.SLACK_REQUESTS.labels(kind, _outcome(response, req.context)).inc()
        return response


def count_api_calls(context: BoltContext, next: Callable[[], None]) -> None:
    """Global middleware: the request's client (and so the lazy listeners' copies) counts its calls."""
    client = context.get("client")
    if isinstance(client, WebClient):
        context["client"] = counting_copy(client)
    next()


def _outcome(response: BoltResponse, context: BoltContext) -> str:
    if context.get(FAILED):
        return "error"
    if response.status in (401, 403):
        return "refused"  # Bolt's own checks (a workspace it cannot authorise)
    return "error" if response.status >= 400 else "ok"


def _marking_failures(handler: Callable[..., BoltResponse | None]) -> Callable[..., BoltResponse | None]:
    """The error handler, for verified requests only, also marking the request as failed for
    `ObservedApp` (Bolt answers 200 after our friendly message, so the status alone does not tell).

    A request whose signature was not checked (bot/boundary.py refuses those before Bolt; only a caller
    dispatching to the app itself can bring one here) gets a 401: its body is not Slack's, so nothing in
    it is acted on (no message to its `response_url`) and nothing of it is logged."""

    def on_error(
        error: Exception, body: dict[str, Any], logger: logging.Logger, context: BoltContext, request: BoltRequest
    ) -> BoltResponse | None:
        if not verified(request):
            log.warning("Refused a request not verified as Slack's (%s)", type(error).__name__)
            return BoltResponse(status=401, body=json.dumps({"error": "invalid request"}))
        context[FAILED] = True
        if answered_without_waiting(context):  # the person was told already, and nothing was stored
            report_abandoned_failure(error, body)
            return BoltResponse(status=200, body="")
        return handler(error, body, logger)

    return on_error
