"""Slack down or slow while people use the app: 5xx, 429 storms and timeouts on `chat.postMessage`,
`views.open` and `users.info` during commands and clicks.

Every answer says what happened (saved or not, what to do), nothing is lost, nothing is logged twice.
Each test runs the real app behind its real HTTP server against the fake Slack, on SQLite and PostgreSQL.
The app's Web API client is the production one: its own retries (three attempts in all) run first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from bot import ids
from bot.deps import Deps
from bot.engine.planners import ENTRY_POST_AFTER
from bot.errors import SLACK_TROUBLE
from storage.models import Entry
from tests.conftest import RunningBot, serve
from tests.engine_harness import simulation
from tests.fake_slack import FakeSlack, Reply
from tests.slack_requests import CHANNEL, USER
from tests.waiting import eventually

ATTEMPTS = 3  # what the production client makes of one call: the call and two retries
TIMEOUT = 1  # SLACK_API_TIMEOUT of the impatient bot: seconds
SLOW_ANSWER = 4.0  # seconds: Slack's answer to users.info, when it is late


@pytest.fixture
def start(deps: Deps, engine: Engine, fake_slack: FakeSlack) -> Iterator[Callable[[str], RunningBot]]:
    """Start the bot for an outage: with SLACK_API_TIMEOUT=1 for a timeout (so that a test can outwait it),
    with the default settings otherwise."""
    with contextlib.ExitStack() as stack:

        def started(outage: str) -> RunningBot:
            settings = deps.settings
            if outage == "timeout":
                settings = settings.model_copy(update={"slack_api_timeout": TIMEOUT})
            running = contextlib.contextmanager(serve)(
                Deps(settings=settings, session_factory=deps.session_factory), engine, fake_slack
            )
            return stack.enter_context(running)

        yield started


def stored(bot: RunningBot) -> list[Entry]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)))


# Slack unwell for the next `times` calls of a method, three ways
OUTAGES: dict[str, Callable[[FakeSlack, str, int], None]] = {
    "503 storm": lambda fake, method, times: fake.server_error(method, status=503, times=times),
    "429 storm": lambda fake, method, times: fake.rate_limit(method, retry_after=0, times=times),
    "timeout": lambda fake, method, times: fake.script(method, *[Reply(delay=TIMEOUT + 0.5)] * times),
}


def unwell(start: Callable[[str], RunningBot], outage: str, method: str) -> RunningBot:
    """The bot, with Slack unwell for `method` in the way `outage` says."""
    bot = start(outage)
    # every attempt of one call (a timeout is not retried: Slack may have done what was asked)
    OUTAGES[outage](bot.fake, method, 1 if outage == "timeout" else ATTEMPTS)
    return bot


# -- posting an entry -----------------------------------------------------------------------------------


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_slack_unwell_for_the_post_tells_the_author_it_is_saved_and_will_follow(
    start: Callable[[str], RunningBot], outage: str
) -> None:
    bot = unwell(start, outage, "chat.postMessage")

    answer = bot.slack.send_command("/proud", "Refund sent before the customer asked")

    assert "Saved your proud" in answer.json["text"]
    [told] = bot.fake.wait_for("response_url:proud")
    [entry] = stored(bot)
    assert told.params["response_type"] == "ephemeral"
    assert f"#{entry.id} is saved" in told.params["text"]
    assert f"<#{CHANNEL}>" in told.params["text"]
    assert "no need to send it again" in told.params["text"]
    # left for the engine: neither posted nor refused
    assert (entry.message_ts, entry.post_error) == (None, None)
    attempts = 1 if outage == "timeout" else ATTEMPTS
    assert len(bot.fake.calls_to("chat.postMessage")) == attempts

    # Slack is back: the engine posts it once, ten minutes after it was stored
    sim = simulation(bot.deps, bot.fake, entry.created_at)
    sim.clock.now = entry.created_at + ENTRY_POST_AFTER
    sim.tick()
    sim.clock.now += timedelta(hours=1)
    sim.tick()
    posts = bot.fake.calls_to("chat.postMessage")
    assert len(posts) == attempts + 1
    assert posts[-1].params["blocks"] == posts[0].params["blocks"]
    [entry] = stored(bot)
    assert entry.message_ts is not None
    assert len(bot.fake.calls_to("response_url:proud")) == 1  # told once


def test_slack_slow_to_post_does_not_hold_up_the_answer(bot: RunningBot) -> None:
    bot.fake.script("chat.postMessage", Reply(delay=2.0, body={"ok": True, "channel": CHANNEL, "ts": "1700000000.5"}))

    answer = bot.slack.send_command("/proud", "Called the clinic back within the hour")

    assert "Saved your proud" in answer.json["text"]
    # answered while Slack was still taking its time over the post
    [entry] = stored(bot)
    assert entry.message_ts is None
    [post] = bot.fake.wait_for("chat.postMessage")
    assert bot.fake.calls_to("response_url:proud") == []
    assert eventually(lambda: stored(bot)[0].message_ts) == "1700000000.5"
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    assert "Called the clinic back within the hour" in str(post.params["blocks"])


# -- opening a form -------------------------------------------------------------------------------------


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_form_slack_will_not_open_from_a_command_is_explained_and_nothing_is_stored(
    start: Callable[[str], RunningBot], outage: str
) -> None:
    bot = unwell(start, outage, "views.open")

    answer = bot.slack.send_command("/sorry", "")

    assert (answer.status, answer.text) == (200, "")
    [told] = bot.fake.wait_for("response_url:sorry")
    assert told.params["text"] == SLACK_TROUBLE
    assert told.params["response_type"] == "ephemeral"
    assert stored(bot) == []


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_a_form_slack_will_not_open_from_a_button_is_explained_and_the_entry_is_unchanged(
    start: Callable[[str], RunningBot], outage: str
) -> None:
    bot = start(outage)
    bot.slack.send_command("/sorry", "Three customers waited 2 days for refunds")
    [post] = bot.fake.wait_for("chat.postMessage")
    eventually(lambda: stored(bot)[0].message_ts)
    [entry] = stored(bot)
    OUTAGES[outage](bot.fake, "views.open", 1 if outage == "timeout" else ATTEMPTS)

    click = bot.slack.block_action(ids.ADD_ROOT_CAUSE, str(entry.id), message={"ts": "1.1", **post.params})
    answer = bot.slack.send_interaction(click)

    assert answer.status == 200
    [told] = bot.fake.wait_for("response_url:action")
    assert told.params["text"] == SLACK_TROUBLE
    assert told.params.get("replace_original") is False  # the entry's message stays as it was
    [after] = stored(bot)
    assert (after.root_cause, after.message_ts) == (entry.root_cause, entry.message_ts)


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_slack_unwell_for_the_time_zone_still_opens_the_meeting_form_at_once(
    start: Callable[[str], RunningBot], outage: str
) -> None:
    """The form's zone comes from users.info; the form cannot wait for it (its trigger lasts 3 seconds)."""
    bot = start("default")  # SLACK_API_TIMEOUT of 10 seconds
    bot.fake.users[USER] = {"id": USER, "name": "someone", "tz": "Europe/Berlin", "deleted": False}
    if outage == "timeout":  # an answer that comes well after the form must be open
        bot.fake.script("users.info", Reply(delay=SLOW_ANSWER))
    else:
        OUTAGES[outage](bot.fake, "users.info", 1)  # one call: a form does not wait for a retry

    answer = bot.slack.send_command("/meeting", "")

    assert (answer.status, answer.text) == (200, "")
    [opened] = bot.fake.wait_for("views.open")
    [asked] = bot.fake.calls_to("users.info")  # one try, no retries
    if outage == "timeout":
        # the form went out while Slack was still working on the time zone (an order, not a time)
        assert asked.answered is None or opened.arrived < asked.answered
    tz = [
        block["element"]["initial_value"]
        for block in opened.params["view"]["blocks"]
        if block.get("block_id") == ids.MEETING_TZ_BLOCK
    ]
    assert tz == ["UTC"]  # not known: the person picks theirs in the form

    # once Slack answers again, the next form knows it
    bot.slack.send_command("/meeting", "")
    _, second = bot.fake.wait_for("views.open", 2)
    tz = [
        block["element"]["initial_value"]
        for block in second.params["view"]["blocks"]
        if block.get("block_id") == ids.MEETING_TZ_BLOCK
    ]
    assert tz == ["Europe/Berlin"]
