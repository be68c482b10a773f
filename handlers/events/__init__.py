"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from bot import ids
from bot.deps import Deps, bind
from bot.errors import in_background
from handlers.acks import ack_only
from handlers.events import channels, home, people, uninstall


def register(app: App, deps: Deps) -> None:
    app.event(ids.APP_HOME_OPENED)(ack=bind(ack_only, deps), lazy=[bind(in_background(home.publish_home), deps)])
    app.event(ids.APP_UNINSTALLED)(bind(uninstall.app_uninstalled, deps))
    app.event(ids.TOKENS_REVOKED)(bind(uninstall.tokens_revoked, deps))
    app.event(ids.MEMBER_LEFT_CHANNEL)(bind(channels.member_left_channel, deps))
    app.event(ids.GROUP_LEFT)(bind(channels.group_left, deps))
    app.event(ids.USER_CHANGE)(bind(people.user_change, deps))
