"""The app factory: the one place where the Bolt app, its listeners and its error handling meet."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient

from bot.deps import Deps
from bot.errors import handle_listener_error
from bot.slack_client import make_web_client
from handlers.registry import register_all

log = logging.getLogger("mindset.app")


def build_app(deps: Deps, *, client: WebClient | None = None, background_workers: int = 8) -> App:
    """A ready Bolt app. Nothing here touches the network or the environment.

    `process_before_response=True` answers Slack as soon as each listener's quick part returns;
    everything slow (Web API calls) runs afterwards in lazy listeners on `background_workers`
    threads. Bolt's default mode instead polls for the answer in 10 ms steps.
    """
    settings = deps.settings
    app = App(
        client=client or make_web_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
        token_verification_enabled=False,
        listener_executor=ThreadPoolExecutor(max_workers=background_workers, thread_name_prefix="slack-bg"),
        logger=logging.getLogger("mindset.bolt"),
    )
    app.error(handle_listener_error)
    register_all(app, deps)
    return app
