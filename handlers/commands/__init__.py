"""Slash command listeners."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from bot.deps import Deps, bind
from bot.errors import in_background
from handlers.commands import action, entries, meeting, mindset, mindset_digest


def register(app: App, deps: Deps) -> None:
    # no lazy listener: their work after the answer runs on the app's background pool (bot/background.py)
    app.command(ids.PROUD)(bind(entries.proud_command, deps))
    app.command(ids.SORRY)(bind(entries.sorry_command, deps))
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
