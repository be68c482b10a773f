"""The Slack Web API clients the app uses: every one of them honours SLACK_API_URL.

One workspace: one client with SLACK_BOT_TOKEN. Many workspaces: each one's bot token comes from
its installation (kept in the database by Slack's OAuth flow), looked up by team and cached briefly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings

# (team id) -> the workspace's bot token, or None when the app is not installed there
TokenFinder = Callable[[str], str | None]
TOKEN_CACHE_SECONDS = 60.0


def make_web_client(settings: Settings, *, token: str | None = None, timeout: int = 10) -> WebClient:
    """A client with retries for connection errors, 429 (after Retry-After) and 5xx."""
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


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
