"""The app factory: the one place where the Bolt app, its listeners and its error handling meet."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from bot.deps import Deps
from bot.errors import handle_listener_error
from bot.slack_client import make_web_client
from handlers.registry import register_all

log = logging.getLogger("mindset.app")


class _WithoutTokenUnusedNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and, since we hand it a client (which
    carries that very token, SLACK_API_URL and our retries), warns at every start that the token is
    unused. It is not a problem, so it is not logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger("mindset.bolt")
    if not any(isinstance(existing, _WithoutTokenUnusedNotice) for existing in logger.filters):
        logger.addFilter(_WithoutTokenUnusedNotice())
    return logger


def build_app(
    deps: Deps,
    *,
    client: WebClient | None = None,
    oauth_settings: OAuthSettings | None = None,
    background_workers: int = 8,
) -> App:
    """A ready Bolt app. Nothing here touches the network or the environment.

    With `oauth_settings` (many workspaces), Bolt serves the install page and the OAuth redirect and
    gives each request a client with its own workspace's token (our base URL and retries kept).

    `process_before_response=True` answers Slack as soon as each listener's quick part returns;
    everything slow (Web API calls) runs afterwards in lazy listeners on `background_workers`
    threads. Bolt's default mode instead polls for the answer in 10 ms steps.
    """
    settings = deps.settings
    app = App(
        client=client or make_web_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        oauth_settings=oauth_settings,
        process_before_response=True,
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(max_workers=background_workers, thread_name_prefix="slack-bg"),
        logger=_bolt_logger(),
    )
    app.error(handle_listener_error)
    register_all(app, deps)
    return app
