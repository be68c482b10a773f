"""Learning whether channels are private, and who is in the private ones (for the digest's privacy rule)."""

from __future__ import annotations

import logging
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


def learn_channels(
    session_factory: SessionFactory,
    client: WebClient,
    *,
    team_id: str,
    channel_ids: Iterable[str],
    now: datetime,
    limit: int = LEARN_AT_ONCE,
) -> int:
    """Ask Slack (conversations.info) about those of `channel_ids` the bot knows nothing of, or not lately: so
    that an entry logged a second ago in a public channel is quoted by the digest, in every workspace (the
    engine asks only for workspaces whose digest it sends). Never fails: what Slack does not answer stays
    unknown (counted, not quoted). How many were learnt."""
    wanted = {(team_id, channel_id) for channel_id in channel_ids if channel_id}
    with session_factory() as session:
        todo = channels_repo.stale(session, wanted=wanted, now=now, fresh_for=CHANNEL_FRESH_FOR)[:limit]
    learnt = 0
    for _team, channel_id in todo:
        try:
            with session_factory() as session:
                refresh_channel(session, client, team_id, channel_id, now)
                session.commit()
            learnt += 1
        except IntegrityError:
            pass  # learnt at the same moment by another request or the engine: as good as ours
        except Exception:
            log.warning("Could not learn whether channel %s of %s is private", channel_id, team_id, exc_info=True)
    return learnt


def refresh_channel(session: Session, client: WebClient, team_id: str, channel_id: str, now: datetime) -> None:
    try:
        info = client.conversations_info(channel=channel_id).get("channel") or {}
    except SlackApiError as error:
        code = str(error.response.get("error") or "") if error.response is not None else ""
        if code not in UNSEEN:
            raise
        channels_repo.save(session, team_id=team_id, channel_id=channel_id, is_private=True, members=None, now=now)
        return
    if "is_private" not in info and "is_im" not in info:
        return  # Slack said nothing useful: ask again next time
    private = bool(info.get("is_private") or info.get("is_im") or info.get("is_mpim"))
    members = _members(client, channel_id) if private and info.get("is_member") else None
    channels_repo.save(session, team_id=team_id, channel_id=channel_id, is_private=private, members=members, now=now)


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
