"""Registers every listener on the app: the one place that knows all the surfaces."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import actions, commands, events, functions, shortcuts, views
from handlers.middleware import register_middleware


def register_all(app: App, deps: Deps) -> None:
    register_middleware(app, deps)
    for surface in (commands, actions, views, shortcuts, events, functions):
        surface.register(app, deps)
