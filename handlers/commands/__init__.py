"""Slash command listeners."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from bot.deps import Deps, bind
from bot.errors import in_background
from handlers.commands import action, entries, meeting, mindset, mindset_digest


def register(app: App, deps: Deps) -> None:
    # with text: no lazy listener, the post runs on the app's background pool (bot/background.py); without
    # text, the form opens in a lazy listener
    app.command(ids.PROUD, matchers=[entries.with_text])(bind(entries.proud_command, deps))
    app.command(ids.SORRY, matchers=[entries.with_text])(bind(entries.sorry_command, deps))
    for command in (ids.PROUD, ids.SORRY):
        app.command(command, matchers=[entries.without_text])(
            ack=entries.open_form_command, lazy=[bind(in_background(entries.after_form_command), deps)]
        )
    app.command(ids.MINDSET)(
        ack=bind(mindset.mindset_command, deps),
        lazy=[bind(in_background(mindset_digest.after_mindset_command), deps)],
    )
    app.command(ids.ACTION)(
        ack=bind(action.action_command, deps),
        lazy=[bind(in_background(action.after_action_command), deps)],
    )
    app.command(ids.MEETING)(
        ack=bind(meeting.meeting_command, deps),
        lazy=[bind(in_background(meeting.after_meeting_command), deps)],
    )
