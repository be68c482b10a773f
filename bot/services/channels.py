"""Who may read a private channel's entries, kept up to date as people leave.

The engine reads a private channel's members at most every 12 hours (bot/engine/channel_directory.py).
Someone who leaves meanwhile must not keep seeing its entries quoted in their digest that long: Slack
tells the bot at once (`member_left_channel`; `group_left` when the bot itself leaves a private
channel), and the stored members change then.
"""

from __future__ import annotations

from bot.deps import Deps
from storage.repositories import channels as channels_repo


def member_left(deps: Deps, *, team_id: str, channel_id: str, user_id: str) -> bool:
    """`user_id` left the channel: no longer among those its entries are quoted to."""
    with deps.session_factory() as session:
        changed = channels_repo.forget_member(session, team_id=team_id, channel_id=channel_id, user_id=user_id)
        session.commit()
        return changed


def bot_left(deps: Deps, *, team_id: str, channel_id: str) -> None:
    """The bot left a private channel (or was removed): it can no longer tell who is in it, so, as for a
    channel it never saw, its entries are quoted to nobody until it is back and has looked again."""
    with deps.session_factory() as session:
        channels_repo.save(
            session, team_id=team_id, channel_id=channel_id, is_private=True, members=None, now=deps.clock()
        )
        session.commit()
