"""The Slack Web API clients the app uses: every one of them honours SLACK_API_URL.

One workspace: one client with SLACK_BOT_TOKEN. Many workspaces: each one's bot token comes from
its installation (kept in the database by Slack's OAuth flow), looked up by team and cached briefly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import SlackResponse

from bot import metrics, slack_transport
from bot.settings import Settings
from storage.db import elsewhere

# (team id) -> the workspace's bot token, or None when the app is not installed there
TokenFinder = Callable[[str], str | None]
TOKEN_CACHE_SECONDS = 60.0


class CountingWebClient(WebClient):
    """A `WebClient` that counts its calls by method and outcome (`mindset_slack_api_calls_total`) and
    keeps its connections open between calls (bot/slack_transport.py), unless it goes through a proxy.

    Once made, nothing in it changes (connections are kept per thread, outside it), so one client may serve
    every thread: Bolt deep-copies each request for its lazy listeners, and copying the client (its
    retry handlers, headers, logger …) was most of the cost of that copy, for nothing.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> CountingWebClient:
        return self

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None:
            return super()._perform_urllib_http_request_internal(url, req)
        return slack_transport.perform(url, req, timeout=self.timeout, ssl_context=self.ssl, logger=self._logger)

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict | None = None,
        data: dict | None = None,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        auth: dict | None = None,
    ) -> SlackResponse:
        outcome = "unreachable"
        try:
            with elsewhere():  # a slow Slack is not a stalled database (bot/server.py's deadline)
                response = super().api_call(
                    api_method,
                    http_verb=http_verb,
                    files=files,
                    data=data,
                    params=params,
                    json=json,
                    headers=headers,
                    auth=auth,
                )
            outcome = "ok"
            return response
        except SlackApiError as error:
            status = error.response.status_code if error.response is not None else 0
            outcome = "ratelimited" if status == 429 else "error"
            raise
        finally:
            metrics.SLACK_API_CALLS.labels(api_method, outcome).inc()


class CountingRateLimitHandler(RateLimitErrorRetryHandler):
    """Waits out a 429's Retry-After, exactly (slack_sdk's handler adds up to a second), counting the waits.
    `sleep` is how it waits (a test hands in its own to see the wait without spending it)."""

    def __init__(self, max_retry_count: int = 1, *, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            super().prepare_for_next_attempt(state=state, request=request, response=response, error=error)
            return
        method = request.url.split("?", 1)[0].rsplit("/", 1)[-1] or "unknown"
        wait = _retry_after_seconds(response)
        metrics.SLACK_RATE_LIMIT_WAITS.labels(method).inc()
        metrics.SLACK_RATE_LIMIT_WAIT_SECONDS.labels(method).inc(wait)
        # exactly what Slack asks: slack_sdk's handler adds up to a second at random, and the limit Slack
        # keeps is a short burst, so that second is lost to sending
        state.next_attempt_requested = True
        self._sleep(wait)
        state.increment_current_attempt()


def _retry_after_seconds(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            try:
                return float(values[0] if isinstance(values, list) else values)
            except (TypeError, ValueError, IndexError):
                break
    return 1.0


def make_web_client(settings: Settings, *, token: str | None = None, timeout: int | None = None) -> WebClient:
    """A counting client with retries for connection errors, 429 (after Retry-After) and 5xx; each call
    given up after SLACK_API_TIMEOUT seconds (or `timeout`)."""
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    return CountingWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_api_timeout if timeout is None else timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            CountingRateLimitHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def counting_copy(client: WebClient) -> WebClient:
    """The same client (token, URL, timeout, retries, workspace), counting its calls."""
    if isinstance(client, CountingWebClient):
        return client
    return _copy(client)


def with_token(client: WebClient, token: str) -> WebClient:
    """The same client (URL, timeout, retries, workspace) with another token: a Workflow Builder step's
    request carries the step's own token (`xwfp-`, to complete the step), its posts go with the bot's."""
    return _copy(client, token=token)


def hasty_copy(client: WebClient, *, timeout: int = 1) -> WebClient:
    """The same client for a call made before a form opens: one attempt, given up after `timeout` seconds.
    A form must open within 3 seconds of the click (its trigger expires), so a slow answer is not waited for."""
    return _copy(client, timeout=timeout, retry_handlers=[])


def _copy(client: WebClient, **changes: Any) -> CountingWebClient:
    values: dict[str, Any] = {
        "token": client.token,
        "base_url": client.base_url,
        "timeout": client.timeout,
        "ssl": client.ssl,
        "proxy": client.proxy,
        "headers": dict(client.headers),
        "team_id": client.default_params.get("team_id"),
        "logger": client.logger,
        "retry_handlers": client.retry_handlers,
    }
    values.update(changes)
    return CountingWebClient(**values)


class SlackClients:
    """The client for each workspace: `for_team(team)`, None when the app is not installed there."""

    def __init__(self, settings: Settings, *, find_token: TokenFinder | None = None) -> None:
        self._settings = settings
        self._find_token = find_token
        self._single = make_web_client(settings) if find_token is None else None
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, WebClient | None]] = {}

    def for_team(self, team_id: str) -> WebClient | None:
        if self._find_token is None:
            return self._single
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(team_id)
            if cached is not None and now - cached[0] < TOKEN_CACHE_SECONDS:
                return cached[1]
        token = self._find_token(team_id)
        client = make_web_client(self._settings, token=token) if token else None
        with self._lock:
            self._cache[team_id] = (now, client)
        return client

    def forget(self, team_id: str) -> None:
        """Drop a workspace's cached client (it was uninstalled, or installed again)."""
        with self._lock:
            self._cache.pop(team_id, None)
