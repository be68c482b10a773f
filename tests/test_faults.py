"""When things go wrong: Slack refuses or stumbles, the database goes away, requests are forged or repeated.

Each test runs the real app behind its real HTTP server against the fake Slack, on SQLite and PostgreSQL,
and checks what the person sees, what is stored and what reaches Slack.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot import ids, metrics
from bot.app import build_app
from bot.deps import Deps
from bot.slack_client import CountingRateLimitHandler
from bot.slack_text import escape_mrkdwn
from storage.db import SessionFactory, make_engine, make_session_factory
from storage.models import Channel, Entry
from tests import conftest
from tests.conftest import RunningBot, make_settings, serve
from tests.fake_slack import FakeSlack, Reply
from tests.slack_requests import CHANNEL, TEAM, USER, Answer, deep, payload
from tests.tcp_proxy import TcpProxy
from tests.waiting import eventually


def stored(session_factory: SessionFactory) -> list[Entry]:
    with session_factory() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)))


def entries(bot: RunningBot) -> list[Entry]:
    return stored(bot.deps.session_factory)


def section_texts(view_or_message: dict[str, Any]) -> str:
    return " ".join(block["text"]["text"] for block in view_or_message["blocks"] if "text" in block)


@pytest.fixture
def one_worker_bot(
    deps: Deps, engine: Engine, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningBot]:
    """The bot with a single background worker, so background jobs run one after another in arrival order.

    That lets a test show something did *not* happen: send the suspect request, then a marker request;
    once the marker's effect is seen, anything the suspect request had queued has run too.
    """
    monkeypatch.setattr(conftest, "build_app", functools.partial(build_app, background_workers=1))
    yield from serve(deps, engine, fake_slack)


# -- 1. the channel will not take the post ----------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        ("not_in_channel", "/invite @Customer Mindset"),
        ("channel_not_found", "/invite @Customer Mindset"),
        ("is_archived", "is archived"),
    ],
)
def test_channel_refusing_the_post_keeps_the_entry_and_tells_the_author(
    bot: RunningBot, error: str, advice: str
) -> None:
    bot.fake.fail("chat.postMessage", error)

    answer = bot.slack.send_command("/proud", "Called the clinic back within the hour")

    assert answer.status == 200
    assert answer.json["response_type"] == "ephemeral"
    assert "Saved your proud" in answer.json["text"]
    [told] = bot.fake.wait_for("response_url:proud")
    assert told.params["response_type"] == "ephemeral"
    assert told.params.get("replace_original") is False
    assert advice in told.params["text"]
    assert f"<#{CHANNEL}>" in told.params["text"]
    assert "is saved" in told.params["text"]
    [entry] = eventually(lambda: [e for e in entries(bot) if e.post_error])
    assert (entry.text, entry.post_error, entry.message_ts) == ("Called the clinic back within the hour", error, None)
    assert f"#{entry.id}" in told.params["text"]
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


def test_a_direct_message_between_people_is_not_told_to_invite_the_bot(bot: RunningBot) -> None:
    bot.fake.fail("chat.postMessage", "channel_not_found")

    answer = bot.slack.send_command("/proud", "Called the clinic back within the hour", channel="D0PEOPLE")

    assert "Saved your proud" in answer.json["text"]
    [told] = bot.fake.wait_for("response_url:proud")
    assert "/invite" not in told.params["text"].split("private one")[0]
    assert "direct message between people" in told.params["text"]
    assert "run the command in a channel" in told.params["text"]


# -- 2. Slack is briefly unwell ---------------------------------------------------------------------


def rate_limit_waits(method: str) -> tuple[float, float]:
    """How often the bot waited out a 429 of `method`, and for how many seconds in all (its own count)."""
    waits = metrics.REGISTRY.get_sample_value("mindset_slack_rate_limit_waits_total", {"method": method})
    seconds = metrics.REGISTRY.get_sample_value("mindset_slack_rate_limit_wait_seconds_total", {"method": method})
    return waits or 0.0, seconds or 0.0


def test_rate_limit_and_server_error_are_retried_until_the_post_arrives(bot: RunningBot) -> None:
    bot.fake.rate_limit("chat.postMessage", retry_after=1)
    bot.fake.server_error("chat.postMessage", status=500)
    waits_before, seconds_before = rate_limit_waits("chat.postMessage")

    answer = bot.slack.send_command("/proud", "Refund sent before the customer asked")
    assert answer.status == 200
    assert "Saved your proud" in answer.json["text"]

    ts = eventually(lambda: entries(bot)[0].message_ts)
    # three attempts of the same post (429, then 500, then the post), and only then was it recorded
    attempts = bot.fake.calls_to("chat.postMessage")
    assert len(attempts) == 3
    assert all(call.params == attempts[0].params for call in attempts)
    # each attempt came after the answer to the one before (an order at the fake, not a time)
    assert all(before.answered is not None and before.answered < after.arrived for before, after in pairwise(attempts))
    assert "Refund sent before the customer asked" in section_texts(attempts[0].params)
    # the 429's Retry-After was waited out once, for the 1 second Slack asked (how the handler waits:
    # test_rate_limit_handler_waits_exactly_what_slack_asks)
    waits_after, seconds_after = rate_limit_waits("chat.postMessage")
    assert (waits_after - waits_before, seconds_after - seconds_before) == (1.0, 1.0)
    [entry] = entries(bot)
    assert entry.message_ts == ts
    assert ts.startswith("1700000000.")
    assert entry.post_error is None
    # nobody was told about a failure
    assert bot.fake.calls_to("response_url:proud") == []


@pytest.mark.parametrize(("retry_after", "waited"), [("3", 3.0), ("0", 0.0), ("soon", 1.0)])
def test_rate_limit_handler_waits_exactly_what_slack_asks(retry_after: str, waited: float) -> None:
    """Retry-After, without slack_sdk's up-to-a-second of jitter; a header that is no number: a second."""
    slept: list[float] = []
    handler = CountingRateLimitHandler(max_retry_count=2, sleep=slept.append)
    request = HttpRequest(method="POST", url="https://slack.com/api/chat.postMessage", headers={})
    response = HttpResponse(status_code=429, headers={"Retry-After": retry_after}, body={"ok": False})
    state = RetryState()

    assert handler.can_retry(state=state, request=request, response=response)
    handler.prepare_for_next_attempt(state=state, request=request, response=response)

    assert slept == [waited]
    assert (state.next_attempt_requested, state.current_attempt) == (True, 1)


# -- 3 and 4. the database goes away ----------------------------------------------------------------


@dataclass
class Outage:
    """The bot on a database that `begin()` takes away and `end()` gives back."""

    bot: RunningBot
    begin: Callable[[], None]
    end: Callable[[], None]
    read: Callable[[], list[Entry]]  # the entries, read past the outage


@pytest.fixture
def outage(database_url: str, engine: Engine, fake_slack: FakeSlack) -> Iterator[Outage]:
    """PostgreSQL behind a proxy that can be cut; SQLite with a short busy timeout and a lock held elsewhere.

    On PostgreSQL nothing answers while cut. On SQLite reads still work (WAL) but every write fails with
    "database is locked" after 0.2 s, which is what a stuck writer or a long backup looks like.
    """
    parsed = make_url(database_url)
    cleanup: list[Callable[[], None]] = []
    if parsed.get_backend_name() == "sqlite":
        app_url = f"{database_url}?timeout=0.2"
        holder = sqlite3.connect(str(parsed.database), isolation_level=None, check_same_thread=False)
        cleanup.append(holder.close)

        def begin() -> None:
            holder.execute("BEGIN EXCLUSIVE")

        def end() -> None:
            if holder.in_transaction:
                holder.execute("ROLLBACK")

    else:
        proxy = TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)
        cleanup.append(proxy.close)
        app_url = parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        begin, end = proxy.cut, proxy.restore
    app_engine = make_engine(app_url, pool_size=2)
    cleanup.insert(0, app_engine.dispose)
    settings = make_settings(slack_api_url=fake_slack.api_url, database_url=app_url)
    deps = Deps(settings=settings, session_factory=make_session_factory(app_engine))
    reader = make_session_factory(engine)
    try:
        with contextlib.contextmanager(serve)(deps, app_engine, fake_slack) as running:
            yield Outage(running, begin, end, functools.partial(stored, reader))
    finally:
        end()
        for step in cleanup:
            step()


def database_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR
        and record.exc_info
        and record.exc_info[0] is not None
        and issubclass(record.exc_info[0], OperationalError)
    ]


def channel_learnt(bot: RunningBot, channel: str) -> bool:
    """Whether the bot has asked Slack about the channel (it does after posting there) and kept the answer."""
    with bot.deps.session_factory() as session:
        return session.scalars(select(Channel).where(Channel.channel_id == channel)).first() is not None


@pytest.mark.parametrize("command", ["/proud", "/sorry"])
def test_command_while_database_is_down_hands_the_text_back_then_recovers(
    outage: Outage, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    bot = outage.bot
    assert bot.slack.send_command(command, "Warm-up, so the pool holds connections").status == 200
    eventually(lambda: [entry.message_ts for entry in outage.read()] == ["1700000000.000001"])  # posted, recorded
    eventually(lambda: channel_learnt(bot, CHANNEL))  # the warm-up's last background work, before the cut
    caplog.set_level(logging.INFO)
    outage.begin()

    typed = "Called every customer hit by the outage"
    answer = bot.slack.send_command(command, typed)

    assert answer.status == 200
    assert answer.json["response_type"] == "ephemeral"
    assert "could not save" in answer.json["text"]
    assert "nothing was stored" in answer.json["text"]
    assert typed in answer.json["text"]
    assert [entry.text for entry in outage.read()] == ["Warm-up, so the pool holds connections"]
    [logged] = database_errors(caplog)
    assert logged.name == "mindset.errors"
    assert command in logged.getMessage()
    assert logged.exc_info is not None and logged.exc_info[2] is not None  # with its traceback

    outage.end()
    again = bot.slack.send_command(command, typed)

    assert again.status == 200
    assert "Saved your" in again.json["text"]
    assert [entry.text for entry in outage.read()] == ["Warm-up, so the pool holds connections", typed]
    posts = bot.fake.wait_for("chat.postMessage", 2)
    assert typed in section_texts(posts[1].params)


def test_database_lost_after_the_answer_does_not_ask_to_log_again(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    """The entry is saved and posted, then the database goes before the post is recorded."""
    bot = outage.bot
    # Slack takes a second to answer the post; the database goes away meanwhile
    bot.fake.script(
        "chat.postMessage", Reply(body={"ok": True, "channel": CHANNEL, "ts": "1700000000.000900"}, delay=1)
    )
    typed = "Walked the customer through the new invoice"

    answer = bot.slack.send_command("/proud", typed)
    assert "Saved your proud" in answer.json["text"]
    bot.fake.wait_for("chat.postMessage")
    outage.begin()

    [told] = bot.fake.wait_for("response_url:proud")
    assert told.params["response_type"] == "ephemeral"
    assert "no need to send it again" in told.params["text"]
    assert "nothing was stored" not in told.params["text"]
    assert typed not in told.params["text"]  # handing the text back would invite a duplicate
    [logged] = database_errors(caplog)
    assert "/proud" in logged.getMessage()
    assert TEAM in logged.getMessage()
    outage.end()
    [entry] = outage.read()
    assert entry.text == typed
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_health_check_follows_the_database(outage: Outage) -> None:
    healthy = outage.bot.slack.get("/healthz")
    assert (healthy.status, healthy.json["status"]) == (200, "ok")

    outage.begin()
    down = outage.bot.slack.get("/healthz")
    assert down.status == 503
    assert down.json["status"] != "ok"

    outage.end()
    back = outage.bot.slack.get("/healthz")
    assert back.status == 200
    assert back.json["status"] == "ok"


def test_modal_submitted_while_database_is_down_shows_the_text_in_the_modal(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    bot = outage.bot
    bot.slack.send_command("/proud", "")
    [opened] = bot.fake.wait_for("views.open")
    form = opened.params["view"]
    typed = "Stayed late so the pharmacy could open on time"
    values = {
        ids.ENTRY_TEXT_BLOCK: {ids.ENTRY_TEXT_INPUT: {"type": "plain_text_input", "value": typed}},
        ids.ENTRY_CHANNEL_BLOCK: {
            ids.ENTRY_CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": CHANNEL}
        },
    }
    submission = bot.slack.view_submission(form, values, view_id="V00001")
    outage.begin()

    answer = bot.slack.send_interaction(submission)

    assert answer.status == 200
    assert answer.json["response_action"] == "update"
    shown = answer.json["view"]
    assert shown["type"] == "modal"
    assert "Not saved" in shown["title"]["text"]
    assert "could not save" in section_texts(shown)
    assert typed in section_texts(shown)
    assert "submit" not in shown  # nothing to submit again by mistake: the text is there to copy
    assert outage.read() == []
    assert database_errors(caplog)

    outage.end()
    again = bot.slack.send_interaction(bot.slack.view_submission(form, values, view_id="V00001"))

    assert again.status == 200
    assert again.text == ""  # the modal closes
    [entry] = outage.read()
    assert (entry.text, entry.author_id, entry.channel_id, entry.team_id) == (typed, USER, CHANNEL, TEAM)
    [post] = bot.fake.wait_for("chat.postMessage")
    assert typed in section_texts(post.params)


# -- 5. requests not signed by Slack ----------------------------------------------------------------


def _unsigned(bot: RunningBot, raw: str) -> Answer:
    """The request with a timestamp but no X-Slack-Signature header at all."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(int(time.time()))}
    request = urllib.request.Request(bot.slack.endpoint, data=raw.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return Answer(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read().decode(), dict(error.headers))


@pytest.mark.parametrize("forgery", ["bad signature", "six minutes old", "no signature"])
def test_requests_not_signed_by_slack_are_refused(bot: RunningBot, forgery: str) -> None:
    raw = urlencode(bot.slack.command_body("/proud", "Forged praise"))
    if forgery == "bad signature":
        answer = bot.slack.post_form(raw, signature="v0=" + "0" * 64)
    elif forgery == "six minutes old":
        answer = bot.slack.post_form(raw, timestamp=int(time.time()) - 6 * 60)
    else:
        answer = _unsigned(bot, raw)

    assert answer.status == 401
    assert "Saved" not in answer.text
    assert entries(bot) == []
    assert bot.fake.calls == []  # not even auth.test: the request never reached the app
    # the same request, properly signed and fresh, goes through
    assert bot.slack.post_form(raw).status == 200
    assert [entry.text for entry in entries(bot)] == ["Forged praise"]


# -- 6. Slack delivers an event again ---------------------------------------------------------------


def test_redelivered_event_has_one_effect(one_worker_bot: RunningBot) -> None:
    bot = one_worker_bot
    opened = payload("app_home_opened.home_tab.json")
    person = opened["event"]["user"]

    assert bot.slack.send_event(opened).status == 200
    [first] = bot.fake.wait_for("views.publish")
    assert first.params["user_id"] == person

    # Slack did not see our answer in time and sends the very same event again
    assert bot.slack.send_event(opened, retry_num=1).status == 200
    # the same person opens the Home tab again later: a new event
    reopened = deep(opened)
    reopened["event_id"] = "Ev222"
    assert bot.slack.send_event(reopened).status == 200
    # a marker: someone else opens their Home tab
    marker = deep(opened)
    marker["event_id"] = "Ev333"
    marker["event"]["user"] = "W333"
    assert bot.slack.send_event(marker).status == 200

    eventually(lambda: any(call.params["user_id"] == "W333" for call in bot.fake.calls_to("views.publish")))
    assert [call.params["user_id"] for call in bot.fake.calls_to("views.publish")] == [person, person, "W333"]


# -- 7. more than Slack can show ---------------------------------------------------------------------


def test_text_too_long_once_escaped_is_refused_and_handed_back(one_worker_bot: RunningBot) -> None:
    bot = one_worker_bot
    typed = "Answered <all> tickets & more. " * 90  # 2,790 characters typed, 3,510 once escaped for Slack
    assert len(typed) < 3000 < len(escape_mrkdwn(typed.strip()))

    answer = bot.slack.send_command("/proud", typed)

    assert answer.status == 200
    assert answer.json["response_type"] == "ephemeral"
    assert "3,000" in answer.json["text"]
    assert "Nothing was saved" in answer.json["text"]
    assert escape_mrkdwn(typed.strip()) in answer.json["text"]
    assert entries(bot) == []

    # a marker: a normal /proud afterwards is the one and only post
    assert bot.slack.send_command("/proud", "Short and sweet").status == 200
    [post] = bot.fake.wait_for("chat.postMessage")
    assert "Short and sweet" in section_texts(post.params)
    assert [entry.text for entry in eventually(lambda: [e for e in entries(bot) if e.message_ts])] == [
        "Short and sweet"
    ]
    assert len(bot.fake.calls_to("chat.postMessage")) == 1


# -- 8. many people at once -------------------------------------------------------------------------


def test_twenty_commands_at_once_are_all_stored_and_posted(bot: RunningBot) -> None:
    bodies = [
        bot.slack.command_body("/proud" if n % 2 else "/sorry", f"Entry number {n}", user=f"W{100 + n}")
        for n in range(20)
    ]
    start = threading.Barrier(10)

    def send(body: dict[str, str]) -> Answer:
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=5)
        return bot.slack.post_form(urlencode(body))

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(send, bodies))

    assert [answer.status for answer in answers] == [200] * 20
    assert all("Saved your" in answer.json["text"] for answer in answers), [a.text for a in answers]
    posts = bot.fake.wait_for("chat.postMessage", 20)
    eventually(lambda: all(entry.message_ts for entry in entries(bot)))
    saved = entries(bot)
    assert sorted(entry.text for entry in saved) == sorted(f"Entry number {n}" for n in range(20))
    assert len({entry.message_ts for entry in saved}) == 20
    assert len(bot.fake.calls_to("chat.postMessage")) == len(posts) == 20
