"""A database that stops answering without going away: PostgreSQL behind a network partition (it
accepts connections, and nothing comes back), SQLite locked by another process.

Slack shows the person an error after 3 s. The bot must answer before that, truthfully ("could not
save, nothing was stored"), and then keep its word: the work it abandoned must not be stored when the
database answers again, nor posted.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from slack_bolt import Ack
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from bot import ids
from bot.app import build_app
from bot.deps import Deps
from bot.server import Limits, make_http_server
from storage.db import make_engine, make_session_factory
from tests.conftest import SIGNING_SECRET, RunningBot, make_settings, serve
from tests.fake_slack import FakeSlack, Reply
from tests.slack_requests import CHANNEL, TEAM, SlackSender, payload
from tests.tcp_proxy import TcpProxy
from tests.test_faults import section_texts, stored
from tests.waiting import eventually


@dataclass
class Stall:
    bot: RunningBot
    begin: Callable[[], None]  # the database stops answering (it is still there)
    end: Callable[[], None]  # it answers again, late: what was held is delivered
    read: Callable[[], list[str]]  # the entries' texts, read around the stall


@pytest.fixture
def stall(database_url: str, engine: Engine, fake_slack: FakeSlack) -> Iterator[Stall]:
    """The bot with `mindset-bot run`'s database timeouts, on a database a test can stall: PostgreSQL
    behind a proxy that holds every byte while paused; SQLite with another process holding its lock.

    On PostgreSQL the connect timeout is longer than the answer's deadline: a request that needs a new
    connection then waits past it too (with the default of 2 s it would fail by itself, and be answered
    so), and the connection it finally gets carries work that must not commit."""
    parsed = make_url(database_url)
    cleanup: list[Callable[[], None]] = []
    if parsed.get_backend_name() == "sqlite":
        app_url = database_url
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
        begin, end = proxy.pause, proxy.resume
    settings = make_settings(slack_api_url=fake_slack.api_url, database_url=app_url, db_connect_timeout=10)
    app_engine = make_engine(app_url, pool_size=2, timeouts=settings.db_timeouts())
    cleanup.insert(0, app_engine.dispose)
    deps = Deps(settings=settings, session_factory=make_session_factory(app_engine))
    reader = make_session_factory(engine)
    try:
        with contextlib.contextmanager(serve)(deps, app_engine, fake_slack, limits=Limits()) as running:
            yield Stall(running, begin, end, lambda: [entry.text for entry in stored(reader)])
    finally:
        end()
        for step in cleanup:
            step()


def abandoned_work_ended(caplog: pytest.LogCaptureFixture, count: int = 1) -> bool:
    """The work the answer did not wait for has met the database again and given up (it logs so)."""
    ended = [r for r in caplog.records if "failed after it was answered without the database" in r.getMessage()]
    return len(ended) >= count


def test_a_stalled_database_gets_an_answer_in_time_and_nothing_is_stored_after_it(
    stall: Stall, caplog: pytest.LogCaptureFixture
) -> None:
    bot = stall.bot
    assert bot.slack.send_command(ids.PROUD, "Warm-up, so the pool holds connections").status == 200
    bot.fake.wait_for("chat.postMessage")
    caplog.set_level(logging.INFO)
    stall.begin()

    typed = "Stayed on the phone until the clinic's export ran"
    answer = bot.slack.send_command(ids.PROUD, typed)

    assert answer.status == 200
    assert answer.json["response_type"] == "ephemeral"
    assert "could not save" in answer.json["text"]
    assert "nothing was stored" in answer.json["text"]
    assert typed in answer.json["text"]  # handed back, to send again

    stall.end()  # the database answers again: the INSERT it held goes through, the COMMIT must not
    eventually(lambda: abandoned_work_ended(caplog), timeout=20)
    assert stall.read() == ["Warm-up, so the pool holds connections"]
    assert len(bot.fake.calls_to("chat.postMessage")) == 1
    assert bot.fake.calls_to("response_url:proud") == []  # told once, in the answer

    again = bot.slack.send_command(ids.PROUD, typed)
    assert "Saved your proud" in again.json["text"]
    assert stall.read() == ["Warm-up, so the pool holds connections", typed]
    posts = bot.fake.wait_for("chat.postMessage", 2)
    assert typed in section_texts(posts[1].params)


def test_every_request_is_answered_while_every_worker_waits_for_the_database(
    stall: Stall, caplog: pytest.LogCaptureFixture
) -> None:
    """More requests than worker threads (the tests' bot has 4): those that never got a thread are
    answered too, by the front, and never run afterwards."""
    bot = stall.bot
    assert bot.slack.send_command(ids.PROUD, "Warm-up").status == 200
    caplog.set_level(logging.INFO)
    stall.begin()

    texts = [f"Logged during the stall, number {n}" for n in range(8)]
    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        answers = list(pool.map(functools.partial(bot.slack.send_command, ids.SORRY), texts))

    for text, answer in zip(texts, answers, strict=True):
        assert answer.status == 200
        assert "nothing was stored" in answer.json["text"], answer.json
        assert text in answer.json["text"]
    stall.end()
    # the last to get a thread find they were answered already; the others give up at their commit
    assert bot.slack.send_command(ids.PROUD, "After the stall").status == 200
    eventually(lambda: "After the stall" in stall.read(), timeout=20)
    assert not set(texts) & set(stall.read())


def test_a_form_submitted_while_the_database_stalls_shows_the_text_in_the_form(stall: Stall) -> None:
    bot = stall.bot
    bot.slack.send_command(ids.PROUD, "")
    [opened] = bot.fake.wait_for("views.open")
    typed = "Drove the replacement part over myself"
    values = {
        ids.ENTRY_TEXT_BLOCK: {ids.ENTRY_TEXT_INPUT: {"type": "plain_text_input", "value": typed}},
        ids.ENTRY_CHANNEL_BLOCK: {
            ids.ENTRY_CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": CHANNEL}
        },
    }
    stall.begin()

    answer = bot.slack.send_interaction(bot.slack.view_submission(opened.params["view"], values, view_id="V1"))

    assert answer.status == 200
    assert answer.json["response_action"] == "update"
    assert "could not save" in section_texts(answer.json["view"])
    assert typed in section_texts(answer.json["view"])
    stall.end()


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_health_check_says_503_while_the_database_stalls(stall: Stall) -> None:
    assert stall.bot.slack.get("/healthz").status == 200
    stall.begin()

    for _ in range(3):  # probes while one check is stuck share it, and each gets its answer
        down = stall.bot.slack.get("/healthz")
        assert down.status == 503
        assert down.json["status"] != "ok"

    stall.end()
    eventually(lambda: stall.bot.slack.get("/healthz").status == 200, timeout=20)


def test_an_event_the_database_kept_waiting_is_refused_so_that_slack_delivers_it_again(stall: Stall) -> None:
    """An uninstall answered 200 without being recorded would be lost: Slack delivers only what failed."""
    bot = stall.bot
    event = payload("app_uninstalled.json")
    event["team_id"] = TEAM
    stall.begin()

    assert bot.slack.send_event(event).status == 503

    stall.end()
    assert bot.slack.send_event(event, retry_num=1).status == 200


def test_a_slow_slack_call_is_waited_for_not_taken_for_a_stalled_database(
    deps: Deps, engine: Engine, fake_slack: FakeSlack
) -> None:
    """Past the deadline, a request waiting on Slack's API is waited for: its own Slack timeouts bound it,
    and "the database is not answering" would be untrue."""
    app = build_app(deps)

    @app.command("/slow-slack")
    def slow(ack: Ack, client: WebClient) -> None:
        client.conversations_info(channel=CHANNEL)  # the fake takes 3 s: past the 2.2 s deadline
        ack(text="Slack answered, late")

    fake_slack.script("conversations.info", Reply(body={"ok": True, "channel": {"id": CHANNEL}}, delay=3.0))
    server = make_http_server(
        app, engine, signing_secret=SIGNING_SECRET, host="127.0.0.1", port=0, threads=2, limits=Limits()
    )
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        slack = SlackSender(f"http://127.0.0.1:{server.port}", SIGNING_SECRET, fake_slack.response_url("x")[:-2])
        answer = slack.send_command("/slow-slack", "now")
    finally:
        server.stop()
        thread.join(timeout=10)

    assert answer.status == 200
    assert answer.text == "Slack answered, late"
