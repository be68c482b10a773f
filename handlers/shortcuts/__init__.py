"""Message shortcut listeners."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from bot.deps import Deps, bind
from bot.errors import in_background
from handlers.acks import ack_only
from handlers.shortcuts import log_message


def register(app: App, deps: Deps) -> None:
    app.shortcut(ids.LOG_AS_PROUD)(
        ack=bind(ack_only, deps),
        lazy=[bind(in_background(log_message.open_as_proud), deps)],
    )
    app.shortcut(ids.LOG_AS_SORRY)(
        ack=bind(ack_only, deps),
        lazy=[bind(in_background(log_message.open_as_sorry), deps)],
    )
