"""Modal submission listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps, bind
from bot.errors import in_background
from handlers import ids
from handlers.views import entry, groups, root_cause


def register(app: App, deps: Deps) -> None:
    app.view(ids.ENTRY_MODAL)(
        ack=bind(entry.entry_submitted, deps),
        lazy=[bind(in_background(entry.after_entry_submitted), deps)],
    )
    app.view(ids.ROOT_CAUSE_MODAL)(
        ack=bind(root_cause.root_cause_submitted, deps),
        lazy=[bind(in_background(root_cause.after_root_cause_submitted), deps)],
    )
    app.view(ids.GROUP_ADD_MODAL)(
        ack=bind(groups.group_add_submitted, deps),
        lazy=[bind(in_background(groups.after_group_change), deps)],
    )
    app.view(ids.GROUP_RENAME_MODAL)(
        ack=bind(groups.group_rename_submitted, deps),
        lazy=[bind(in_background(groups.after_group_change), deps)],
    )
