"""Learning whether channels are private, and who is in the private ones (for the digest's privacy rule)."""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from storage.repositories import channels as channels_repo

CHANNEL_FRESH_FOR = timedelta(hours=12)
MEMBERS_MAX = 10_000
# the bot cannot see it, or it is gone: treat it as private, with no known members
UNSEEN = {"channel_not_found", "not_in_channel", "is_archived", "missing_scope"}


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
