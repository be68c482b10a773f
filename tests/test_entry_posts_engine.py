"""An entry whose post went missing (the process was killed after storing it, Slack was down) is posted by
the engine 10 minutes later, exactly once; entries posted or refused are left alone, and so are stale ones.

The app and the engine talk to the fake Slack over HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot import delivery as entry_delivery
from bot.deps import Deps
from bot.engine.planners import ENTRY_NOT_POSTED, ENTRY_POST, ENTRY_POST_AFTER, ENTRY_POST_STALE_AFTER
from bot.services import entries as entry_service
from storage.models import Delivery, DeliveryStatus, Entry, EntryKind
from tests.conftest import RunningBot
from tests.engine_harness import Simulation, simulation, utc
from tests.fake_slack import FakeSlack
from tests.slack_requests import CHANNEL, TEAM, USER
from tests.test_engine_faults import plain_client
from tests.waiting import eventually

STORED_AT = utc(2027, 3, 2, 9, 30)


def store(sim: Simulation, text: str, *, kind: EntryKind = EntryKind.SORRY, channel: str = CHANNEL) -> int:
    """What `/sorry text` stores before the process that would post it is killed."""
    logged = entry_service.log_entry(
        sim.deps,
        entry_service.NewEntry(
            team_id=TEAM, kind=kind, author_id=USER, channel_id=channel, text=text, idempotency_key=f"trigger:{text}"
        ),
    )
    return logged.card.id


def entry(deps: Deps, entry_id: int) -> Entry:
    with deps.session_factory() as session:
        found = session.get(Entry, entry_id)
        assert found is not None
        return found


def deliveries(deps: Deps, kind: str) -> list[Delivery]:
    with deps.session_factory() as session:
        return list(session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))


def posts_in(fake: FakeSlack, channel: str) -> list[dict]:
    return [call.params for call in fake.calls_to("chat.postMessage") if call.params.get("channel") == channel]


def tick_at(sim: Simulation, at: datetime) -> None:
    sim.clock.now = at
    sim.tick()


def test_an_entry_stored_by_a_killed_process_is_posted_once_ten_minutes_later(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = simulation(deps, fake_slack, STORED_AT, engines=2)
    entry_id = store(sim, "Shipped the wrong size to the clinic")

    for minutes in (1, 5, 9):
        tick_at(sim, STORED_AT + timedelta(minutes=minutes))
    assert posts_in(fake_slack, CHANNEL) == []  # the live process has these minutes to post it itself

    tick_at(sim, STORED_AT + ENTRY_POST_AFTER)
    [post] = posts_in(fake_slack, CHANNEL)
    assert post["text"] == f"Sorry from <@{USER}>: Shipped the wrong size to the clinic"
    assert any(block.get("block_id") == f"sorry_{entry_id}" for block in post["blocks"])  # the root-cause button
    stored = entry(deps, entry_id)
    assert stored.message_ts is not None and stored.message_ts.startswith("1700000000.")
    assert stored.post_error is None
    [row] = deliveries(deps, ENTRY_POST)
    assert (row.status, row.recipient, row.message_ts) == (DeliveryStatus.SENT.value, CHANNEL, stored.message_ts)

    # both engines, every minute and for days after: never a second post
    sim.run_until(STORED_AT + timedelta(minutes=30), step=timedelta(minutes=1))
    sim.run_until(STORED_AT + ENTRY_POST_STALE_AFTER + timedelta(days=1), step=timedelta(hours=1))
    assert len(posts_in(fake_slack, CHANNEL)) == 1
    assert len(deliveries(deps, ENTRY_POST)) == 1

    # the entry knows its message, so adding a root cause redraws the message the engine posted
    card = entry_service.add_root_cause(deps, team_id=TEAM, entry_id=entry_id, root_cause="Old label", by=USER)
    assert card is not None
    entry_delivery.update_entry_message(deps, WebClient(base_url=fake_slack.api_url, token="xoxb-t"), card)
    [update] = fake_slack.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (CHANNEL, stored.message_ts)
    assert "Old label" in str(update.params["blocks"])


@pytest.mark.parametrize("slack_tells", [True, False], ids=["link-found", "link-refused"])
def test_an_entry_logged_from_a_message_gets_its_original_link_when_the_engine_posts_it(
    deps: Deps, fake_slack: FakeSlack, slack_tells: bool
) -> None:
    """Logged with the message shortcut, then the process died before it asked Slack for the message's link."""
    sim = simulation(deps, fake_slack, STORED_AT)
    logged = entry_service.log_entry(
        sim.deps,  # stored at STORED_AT
        entry_service.NewEntry(
            team_id=TEAM,
            kind=EntryKind.PROUD,
            author_id=USER,
            channel_id=CHANNEL,
            text="The clinic thanked us for the quick fix",
            idempotency_key="shortcut:1",
            source_channel_id="CSOURCE",
            source_ts="1700000123.000200",
        ),
    )
    if not slack_tells:
        fake_slack.fail("chat.getPermalink", "message_not_found")

    tick_at(sim, STORED_AT + ENTRY_POST_AFTER)

    [asked] = fake_slack.calls_to("chat.getPermalink")
    assert (asked.params["channel"], asked.params["message_ts"]) == ("CSOURCE", "1700000123.000200")
    [post] = posts_in(fake_slack, CHANNEL)
    link = "https://fake.slack.com/archives/CSOURCE/p1700000123000200"
    stored = entry(deps, logged.card.id)
    assert stored.message_ts is not None
    if slack_tells:
        assert f"<{link}|Original message>" in str(post["blocks"])
        assert stored.source_permalink == link  # kept, so redrawing the message keeps the link
    else:
        assert "Original message" not in str(post["blocks"])  # posted all the same, without it
        assert stored.source_permalink is None


def test_slack_down_during_the_command_then_the_engine_posts_it(bot: RunningBot) -> None:
    """The app's own retries (three attempts) all meet a 500: the entry stays unposted until the engine."""
    bot.fake.server_error("chat.postMessage", times=3)
    answer = bot.slack.send_command("/proud", "Refund sent before the customer asked")
    assert "Saved your proud" in answer.json["text"]
    bot.fake.wait_for("chat.postMessage", count=3)
    [stored] = stored_entries(bot.deps)
    assert (stored.message_ts, stored.post_error) == (None, None)

    sim = simulation(bot.deps, bot.fake, stored.created_at, engines=2)
    tick_at(sim, stored.created_at + ENTRY_POST_AFTER - timedelta(seconds=1))
    assert len(bot.fake.calls_to("chat.postMessage")) == 3
    tick_at(sim, stored.created_at + ENTRY_POST_AFTER)
    tick_at(sim, stored.created_at + ENTRY_POST_AFTER + timedelta(hours=1))
    attempts = bot.fake.calls_to("chat.postMessage")
    assert len(attempts) == 4
    assert attempts[3].params["blocks"] == attempts[0].params["blocks"]  # what the app would have posted
    [stored] = stored_entries(bot.deps)
    [row] = deliveries(bot.deps, ENTRY_POST)
    assert stored.message_ts is not None and stored.message_ts == row.message_ts
    assert stored.post_error is None


def stored_entries(deps: Deps) -> list[Entry]:
    with deps.session_factory() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)))


def test_an_entry_posted_by_the_app_is_never_posted_again(bot: RunningBot) -> None:
    answer = bot.slack.send_command("/proud", "Called the clinic back within the hour")
    assert "Saved your proud" in answer.json["text"]
    ts = eventually(lambda: stored_entries(bot.deps)[0].message_ts)
    [stored] = stored_entries(bot.deps)

    sim = simulation(bot.deps, bot.fake, stored.created_at)
    for after in (ENTRY_POST_AFTER, timedelta(hours=1), timedelta(days=2)):
        tick_at(sim, stored.created_at + after)
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    assert deliveries(bot.deps, ENTRY_POST) == []
    assert stored_entries(bot.deps)[0].message_ts == ts


def test_an_entry_older_than_the_window_is_left_alone(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, STORED_AT)
    entry_id = store(sim, "Missed the renewal call", kind=EntryKind.SORRY)
    # the engine was down for longer than the window: the entry is stale news when it comes back
    tick_at(sim, STORED_AT + ENTRY_POST_STALE_AFTER + timedelta(minutes=1))
    tick_at(sim, STORED_AT + ENTRY_POST_STALE_AFTER + timedelta(days=1))
    assert fake_slack.calls_to("chat.postMessage") == []
    assert deliveries(deps, ENTRY_POST) == []
    assert (entry(deps, entry_id).message_ts, entry(deps, entry_id).post_error) == (None, None)


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        ("not_in_channel", "/invite @Customer Mindset"),
        # an org-wide install not granted the channel's workspace: the app and the engine agree it is the channel
        ("team_access_not_granted", "An admin can add me to that workspace"),
        ("restricted_action_read_only_channel", "Only some members may post in"),
    ],
)
def test_a_channel_refusal_is_recorded_not_retried_and_the_author_is_told(
    deps: Deps, fake_slack: FakeSlack, error: str, hint: str
) -> None:
    sim = simulation(deps, fake_slack, STORED_AT, engines=2)
    entry_id = store(sim, "Forgot the follow-up email", kind=EntryKind.PROUD)
    fake_slack.fail("chat.postMessage", error)

    tick_at(sim, STORED_AT + ENTRY_POST_AFTER)
    stored = entry(deps, entry_id)
    assert (stored.message_ts, stored.post_error) == (None, error)
    [row] = deliveries(deps, ENTRY_POST)
    assert (row.status, row.last_error) == (DeliveryStatus.FAILED.value, error)

    sim.run_until(STORED_AT + timedelta(days=2), step=timedelta(minutes=30))
    assert len(posts_in(fake_slack, CHANNEL)) == 1  # the refused attempt, never retried
    [told] = posts_in(fake_slack, USER)  # once, in a DM
    assert f"#{entry_id}" in told["text"] and hint in told["text"]
    assert f"<#{CHANNEL}>" in told["text"]
    [dm] = deliveries(deps, ENTRY_NOT_POSTED)
    assert dm.status == DeliveryStatus.SENT.value


def test_slack_unwell_when_the_engine_posts_is_retried_and_posted_once(deps: Deps, fake_slack: FakeSlack) -> None:
    sim = simulation(deps, fake_slack, STORED_AT)
    client = plain_client(fake_slack.api_url)
    sim.engines[0].client_for = lambda _team: client  # failures reach the engine, not the SDK's retries
    entry_id = store(sim, "Sent the quote the same day", kind=EntryKind.PROUD)
    fake_slack.server_error("chat.postMessage", times=2)

    sim.run_until(STORED_AT + timedelta(hours=1), step=timedelta(minutes=1))
    assert len(posts_in(fake_slack, CHANNEL)) == 3  # two 500s, then the post
    [row] = deliveries(deps, ENTRY_POST)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT.value, 3)
    assert entry(deps, entry_id).message_ts == row.message_ts


def test_an_entry_posted_late_by_the_app_while_the_engine_retries_is_not_posted_again(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    sim = simulation(deps, fake_slack, STORED_AT)
    client = plain_client(fake_slack.api_url)
    sim.engines[0].client_for = lambda _team: client
    entry_id = store(sim, "Lost the signed contract")
    fake_slack.server_error("chat.postMessage")
    tick_at(sim, STORED_AT + ENTRY_POST_AFTER)  # the engine's first attempt meets a 500
    entry_service.record_post(deps, team_id=TEAM, entry_id=entry_id, message_ts="1699999999.000001")

    sim.run_until(STORED_AT + timedelta(hours=1), step=timedelta(minutes=1))
    assert len(posts_in(fake_slack, CHANNEL)) == 1  # only the failed attempt
    [row] = deliveries(deps, ENTRY_POST)
    assert row.status == DeliveryStatus.SKIPPED.value
    assert entry(deps, entry_id).message_ts == "1699999999.000001"
