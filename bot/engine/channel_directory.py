"""Learning whether channels are private, and who is in the private ones (for the digest's privacy rule)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import SessionFactory
from storage.repositories import channels as channels_repo

log = logging.getLogger("mindset.channels")

CHANNEL_FRESH_FOR = timedelta(hours=12)
MEMBERS_MAX = 10_000
# the bot cannot see it, or it is gone: treat it as private, with no known members
UNSEEN = {"channel_not_found", "not_in_channel", "is_archived", "missing_scope"}
LEARN_AT_ONCE = 20  # channels asked about for one `/mindset digest` (the engine learns the rest in its ticks)


# how long a channel this process found known (or learnt) is not looked up again when an entry is posted in it
KNOWN_FOR = timedelta(minutes=10)
KNOWN_MAX = 10_000


class KnownChannels:
    """The (team, channel) pairs this process found known and fresh, or learnt, in the last `KNOWN_FOR`: posting
    an entry then asks the database about its channel once every ten minutes, not at every post (a query that
    cost as much as the post's own record). A pair the database has since forgotten (a purge) is learnt again
    at most `KNOWN_FOR` later, or by the engine."""

    def __init__(self, known_for: timedelta = KNOWN_FOR, most: int = KNOWN_MAX) -> None:
        self._known_for = known_for
        self._most = most
        self._until: dict[tuple[str, str], datetime] = {}
        self._lock = threading.Lock()

    def unknown(self, pairs: set[tuple[str, str]], now: datetime) -> set[tuple[str, str]]:
        with self._lock:
            return {pair for pair in pairs if not (pair in self._until and now < self._until[pair])}

    def remember(self, pairs: Iterable[tuple[str, str]], now: datetime) -> None:
        with self._lock:
            if len(self._until) >= self._most:
                self._until.clear()
            for pair in pairs:
                self._until[pair] = now + self._known_for


def learn_channels(
    session_factory: SessionFactory,
    client: WebClient,
    *,
    team_id: str,
    channel_ids: Iterable[str],
    now: datetime,
    limit: int = LEARN_AT_ONCE,
    known: KnownChannels | None = None,
) -> int:
    """Ask Slack (conversations.info) about those of `channel_ids` the bot knows nothing of, or not lately: so
    that an entry logged a second ago in a public channel is quoted by the digest, in every workspace (the
    engine asks only for workspaces whose digest it sends). Never fails: what Slack does not answer stays
    unknown (counted, not quoted). How many were learnt. With `known`, the pairs it knows are not even looked
    up, and those found fresh or learnt are added to it."""
    wanted = {(team_id, channel_id) for channel_id in channel_ids if channel_id}
    if known is not None:
        wanted = known.unknown(wanted, now)
        if not wanted:
            return 0
    with session_factory() as session:
        todo = channels_repo.stale(session, wanted=wanted, now=now, fresh_for=CHANNEL_FRESH_FOR)[:limit]
    if known is not None:
        known.remember(wanted - set(todo), now)
    learnt = 0
    for _team, channel_id in todo:
        try:
            with session_factory() as session:
                saved = refresh_channel(session, client, team_id, channel_id, now)
                session.commit()
            learnt += 1
            if known is not None and saved:
                known.remember([(team_id, channel_id)], now)
        except IntegrityError:
            pass  # learnt at the same moment by another request or the engine: as good as ours
        except Exception:
            log.warning("Could not learn whether channel %s of %s is private", channel_id, team_id, exc_info=True)
    return learnt


def refresh_channel(session: Session, client: WebClient, team_id: str, channel_id: str, now: datetime) -> bool:
    """Ask Slack about the channel and save what it said; False when it said nothing useful."""
    try:
        info = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as error:
        code = str(error.response.get("error") or "") if error.response is not None else ""
        if code not in UNSEEN:
            raise
        channels_repo.save(session, team_id=team_id, channel_id=channel_id, is_private=True, members=None, now=now)
        return True
    if "is_private" not in info and "is_im" not in info:
        return False  # Slack said nothing useful: ask again next time
    private = bool(info.get("is_private") or info.get("is_im") or info.get("is_mpim"))
    members = _members(client, channel_id) if private and info.get("is_member") else None
    channels_repo.save(session, team_id=team_id, channel_id=channel_id, is_private=private, members=members, now=now)
    return True


def _members(client: WebClient, channel_id: str) -> list[str]:
    found: list[str] = []
    cursor: str | None = None
    while len(found) < MEMBERS_MAX:
        page = client.conversations_members(channel=channel_id, limit=1000, cursor=cursor or None)
        found += [str(user) for user in page.get("members") or []]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found
