"""Button and menu listeners."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps, bind
from bot.errors import in_background
from handlers import ids
from handlers.acks import ack_only
from handlers.actions import entry, groups, root_cause


def register(app: App, deps: Deps) -> None:
    app.action(ids.ADD_ROOT_CAUSE)(
        ack=bind(ack_only, deps),
        lazy=[bind(in_background(root_cause.open_root_cause_modal), deps)],
    )
    for open_modal in (ids.OPEN_PROUD_MODAL, ids.OPEN_SORRY_MODAL):
        app.action(open_modal)(
            ack=bind(ack_only, deps),
            lazy=[bind(in_background(entry.open_entry_modal), deps)],
        )
    app.action(ids.GROUP_ADD)(
        ack=bind(ack_only, deps),
        lazy=[bind(in_background(groups.open_add_modal), deps)],
    )
    app.action(ids.GROUP_MENU)(
        ack=bind(groups.group_menu_chosen, deps),
        lazy=[bind(in_background(groups.after_group_menu), deps)],
    )
