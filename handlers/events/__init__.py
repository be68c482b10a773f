"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps, bind
from bot.errors import in_background
from handlers.acks import ack_only
from handlers.events import home


def register(app: App, deps: Deps) -> None:
    app.event("app_home_opened")(ack=bind(ack_only, deps), lazy=[bind(in_background(home.publish_home), deps)])
