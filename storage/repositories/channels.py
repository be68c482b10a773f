"""What the bot knows of channels: private or not, and a private channel's members."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from storage.db import chunks
from storage.models import Channel, Entry, MeetingPrompt


def stale(
    session: Session, *, wanted: Iterable[tuple[str, str]], now: datetime, fresh_for: timedelta
) -> list[tuple[str, str]]:
    """Which of the (team, channel) pairs are unknown or were last checked longer ago than `fresh_for`."""
    pairs = set(wanted)
    if not pairs:
        return []
    known: dict[tuple[str, str], datetime | None] = {}
    for some in chunks(sorted(pairs)):
        rows = session.execute(
            select(Channel.team_id, Channel.channel_id, Channel.checked_at).where(
                tuple_(Channel.team_id, Channel.channel_id).in_(list(some))
            )
        )
        known.update(((team, channel), checked) for team, channel, checked in rows)

    def is_stale(pair: tuple[str, str]) -> bool:
        checked = known.get(pair)
        return checked is None or now - checked > fresh_for

    return sorted(pair for pair in pairs if is_stale(pair))


def save(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    is_private: bool | None,
    members: Sequence[str] | None,
    now: datetime,
) -> Channel:
    row = session.scalars(select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)).first()
    if row is None:
        row = Channel(team_id=team_id, channel_id=channel_id)
        session.add(row)
    row.is_private = is_private
    row.members = " ".join(members) if members is not None else None
    row.checked_at = now
    session.flush()
    return row


def forget_member(session: Session, *, team_id: str, channel_id: str, user_id: str) -> bool:
    """Take `user_id` out of a private channel's known members; whether they were in."""
    row = session.scalars(select(Channel).where(Channel.team_id == team_id, Channel.channel_id == channel_id)).first()
    members = (row.members or "").split() if row is not None else []
    if row is None or user_id not in members:
        return False
    row.members = " ".join(member for member in members if member != user_id)
    session.flush()
    return True


def recent_channels(session: Session, *, team_ids: Iterable[str], since: datetime) -> set[tuple[str, str]]:
    """Channels that entries and meeting prompts of these workspaces used since `since`."""
    found: set[tuple[str, str]] = set()
    for teams in chunks(sorted(set(team_ids))):
        entries = session.execute(
            select(Entry.team_id, Entry.channel_id)
            .where(Entry.team_id.in_(teams), Entry.created_at >= since)
            .distinct()
        ).all()
        prompts = session.execute(
            select(MeetingPrompt.team_id, MeetingPrompt.channel)
            .where(MeetingPrompt.team_id.in_(teams), MeetingPrompt.sent_at >= since, MeetingPrompt.channel.is_not(None))
            .distinct()
        ).all()
        found |= {(str(team), str(channel)) for team, channel in [*entries, *prompts] if channel}
    return found
