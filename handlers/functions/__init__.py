"""Workflow Builder step listeners (Bolt custom functions, `function_executed` events)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps, bind
from bot.errors import in_background
from handlers.acks import ack_only
from handlers.functions.steps import STEPS


def register(app: App, deps: Deps) -> None:
    for callback_id, step in STEPS.items():
        app.function(callback_id)(ack=bind(ack_only, deps), lazy=[bind(in_background(step), deps)])
