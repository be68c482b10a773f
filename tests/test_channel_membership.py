"""Who may see a private channel's entries quoted follows who is in it, at once when someone leaves.

The engine reads a private channel's members at most every 12 hours; the `member_left_channel` and
`group_left` events Slack sends the moment someone (or the bot) leaves change what is stored then, so
a digest never quotes a private channel's entries to someone who left it.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.digest.compose import Reader, ReaderKind, Visibility, channel_facts
from storage.models import Channel
from storage.repositories import channels as channels_repo
from tests.conftest import RunningBot
from tests.slack_requests import deep, payload

PRIVATE, PUBLIC = "G111", "C111"
STAYS, LEAVES = "W111", "W222"


def know_channels(bot: RunningBot) -> None:
    with bot.deps.session_factory() as session:
        now = bot.deps.clock()
        channels_repo.save(
            session, team_id="T111", channel_id=PRIVATE, is_private=True, members=[STAYS, LEAVES], now=now
        )
        channels_repo.save(session, team_id="T111", channel_id=PUBLIC, is_private=False, members=None, now=now)
        session.commit()


def may_quote(bot: RunningBot, user: str, channel: str = PRIVATE) -> bool:
    with bot.deps.session_factory() as session:
        facts = channel_facts(session, "T111", [channel])
    return Visibility(facts, Reader(ReaderKind.PERSON, user)).can_quote(channel)


def send(bot: RunningBot, name: str, event_id: str, **changes: str) -> None:
    body = deep(payload(f"{name}.json"))
    body["event_id"] = event_id
    body["event"].update(changes)
    answer = bot.slack.send_event(body)
    assert answer.status == 200, answer.text


def test_someone_who_leaves_a_private_channel_no_longer_sees_its_entries_quoted(bot: RunningBot) -> None:
    know_channels(bot)
    assert may_quote(bot, LEAVES) and may_quote(bot, STAYS)

    send(bot, "member_left_channel", "EvLeft1", user=LEAVES, channel=PRIVATE)

    assert not may_quote(bot, LEAVES)
    assert may_quote(bot, STAYS)
    with bot.deps.session_factory() as session:
        assert session.scalars(select(Channel.members).where(Channel.channel_id == PRIVATE)).one() == STAYS


def test_leaving_a_public_channel_or_an_unknown_one_changes_nothing(bot: RunningBot) -> None:
    know_channels(bot)

    send(bot, "member_left_channel", "EvLeft2", user=LEAVES, channel=PUBLIC, channel_type="C")
    send(bot, "member_left_channel", "EvLeft3", user=LEAVES, channel="G999")

    assert may_quote(bot, LEAVES, PUBLIC) and may_quote(bot, LEAVES, PRIVATE)
    with bot.deps.session_factory() as session:
        assert sorted(session.scalars(select(Channel.channel_id))) == [PUBLIC, PRIVATE]


def test_when_the_bot_leaves_a_private_channel_its_entries_are_quoted_to_nobody(bot: RunningBot) -> None:
    know_channels(bot)

    send(bot, "group_left", "EvGroupLeft1", channel=PRIVATE)

    assert not may_quote(bot, STAYS) and not may_quote(bot, LEAVES)
    with bot.deps.session_factory() as session:
        row = session.scalars(select(Channel).where(Channel.channel_id == PRIVATE)).one()
        assert (row.is_private, row.members) == (True, None)
