"""Scaling out, for real: several `mindset-bot run --no-scheduler` and `mindset-bot scheduler` processes
on one PostgreSQL database, driven over HTTP as a load balancer would drive them.

Every process is the installed console script, started the way docker-compose.yml starts it: the
database is migrated once (`mindset-bot db upgrade`, the compose file's `migrate` service), then the
web processes and the schedulers start together. One fake Slack (tests/fake_slack.py) stands in for
Slack's Web API for all of them. The checks are the deployment's promises: every command gets a
truthful answer, one entry per trigger id or view id, one post per entry, one message per nudge,
nothing left pending, a retried event has one effect, nobody logs a traceback, and SIGTERM stops
every process with exit code 0.

In that test a form submitted twice reaches a second process once the first copy was answered (a
double click, a proxy retrying), and a retried event reaches two processes at once. Two races are
tested on their own, forced rather than hoped for (a PostgreSQL lock is held until every process
waits on it, then released), so that what they show does not depend on the machine's timing: two
copies of one form submission reaching two processes at once, and processes starting together on a
brand-new database without the migrate step. Both once showed real bugs (a duplicate form answered
"database down"; migrations racing), fixed since; each check raises `KnownBug`, named for the bug it
would show again.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, select, text

from bot import ids
from storage.db import make_engine, make_session_factory
from storage.models import ActionItem, Delivery, DeliveryStatus, Entry
from tests.conftest import create_pg_database, drop_pg_database
from tests.fake_slack import Call, FakeSlack
from tests.slack_requests import CHANNEL, TEAM, USER, Answer, SlackSender, deep, payload
from tests.test_cli import SECRET, TOKEN, BotProcess, _script, clean_env, free_port, mindset_bot, plain_pg_url
from tests.waiting import eventually

pytestmark = pytest.mark.postgres

WEB_PROCESSES = 3
SCHEDULERS = 2
COMMANDS = 60  # /proud and /sorry, round-robin over the web processes
FORM_CHANNEL = "C0FORMS"  # where the entries submitted through the form are shared
START_TIMEOUT = 60.0  # the machine is shared: starting five Pythons at once can be slow


# -- the processes -------------------------------------------------------------------------------


@dataclass
class Fleet:
    """The processes of one deployment; whatever happens, `kill_all` leaves none behind."""

    cwd: Path
    database_url: str  # as an operator writes it: postgresql://...
    fake: FakeSlack
    processes: list[BotProcess] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def start(self, name: str, *args: str, log_level: str = "INFO") -> BotProcess:
        port = free_port()
        log = self.cwd / f"{name}.log"
        env = clean_env(
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=self.fake.api_url,
            DATABASE_URL=self.database_url,
            PORT=str(port),
            HTTP_THREADS="4",
            LOG_LEVEL=log_level,
            PGAPPNAME=name,  # names the process's connections in pg_stat_activity
        )
        with log.open("wb") as sink:
            process = subprocess.Popen([_script(), *args], cwd=self.cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
        started = BotProcess(process, log, f"http://127.0.0.1:{port}", self.database_url)
        self.processes.append(started)
        self.names.append(name)
        return started

    def web(self, count: int) -> list[BotProcess]:
        return [self.start(f"web-{n}", "run", "--no-scheduler") for n in range(count)]

    def schedulers(self, count: int) -> list[BotProcess]:
        # DEBUG: APScheduler then logs each finished tick, which tells the test both engines have ticked
        return [self.start(f"scheduler-{n}", "scheduler", log_level="DEBUG") for n in range(count)]

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{p.output()}" for name, p in zip(self.names, self.processes, strict=True))

    def stop_all(self) -> dict[str, int | None]:
        """SIGTERM to every process still running; the exit code of each, None if it did not stop."""
        for process in self.processes:
            if process.process.poll() is None:
                process.process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in zip(self.names, self.processes, strict=True):
            try:
                codes[name] = process.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                codes[name] = None
        return codes

    def kill_all(self) -> None:
        for process in self.processes:
            if process.process.poll() is None:
                process.process.kill()
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.process.wait(timeout=10)


@dataclass
class Database:
    url: str  # SQLAlchemy's spelling, for the test's own checks
    engine: Engine

    @property
    def plain_url(self) -> str:
        return plain_pg_url(self.url)

    @property
    def name(self) -> str:
        return str(self.engine.url.database)

    def waiting_on_locks(self) -> int:
        """Connections to this database (other than the test's) blocked on a lock."""
        with self.engine.connect() as connection:
            return int(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = :name AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    ),
                    {"name": self.name},
                )
                or 0
            )


@pytest.fixture
def database(postgres_admin_url: str) -> Iterator[Database]:
    """A brand-new PostgreSQL database nobody has migrated yet."""
    url = create_pg_database(postgres_admin_url, prefix="mindset_deploy")
    engine = make_engine(url, pool_size=2)
    try:
        yield Database(url, engine)
    finally:
        engine.dispose()
        drop_pg_database(postgres_admin_url, url)


@pytest.fixture
def fleet(tmp_path: Path, database: Database, fake_slack: FakeSlack) -> Iterator[Fleet]:
    found = Fleet(tmp_path, database.plain_url, fake_slack)
    try:
        yield found
    finally:
        found.kill_all()


def migrate_once(fleet: Fleet) -> None:
    """What the compose file's `migrate` service does before the web processes and schedulers start."""
    result = mindset_bot("db", "upgrade", cwd=fleet.cwd, timeout=120, DATABASE_URL=fleet.database_url)
    assert result.returncode == 0, result.stdout + result.stderr


def serves_its_port(process: BotProcess) -> bool:
    port = process.url.rsplit(":", 1)[1]
    return f"http://0.0.0.0:{port}/slack/events" in process.output()


def wait_healthy(fleet: Fleet, processes: list[BotProcess]) -> None:
    try:
        for process in processes:
            eventually(process.healthy, timeout=START_TIMEOUT, interval=0.1)
            # and it is this process that answers on its port, not one that had the port before
            eventually(functools.partial(serves_its_port, process), timeout=START_TIMEOUT)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{fleet.logs()}") from None


# -- talking to the web processes like Slack behind a load balancer ------------------------------


class Balancer:
    """Signed requests to a chosen web process. One builder makes every body, so trigger ids never repeat."""

    def __init__(self, web: list[BotProcess], fake: FakeSlack) -> None:
        base = fake.response_url("x")[:-2]
        self.senders = [SlackSender(process.url, SECRET, base) for process in web]
        self.builder = self.senders[0]
        self._turn = itertools.count()
        self._building = threading.Lock()  # the builder's trigger counter is not thread-safe

    def next_process(self) -> int:
        with self._building:
            return next(self._turn) % len(self.senders)

    def command(self, to: int, command: str, text_: str, **kwargs: Any) -> tuple[dict[str, str], Answer]:
        with self._building:
            body = self.builder.command_body(command, text_, **kwargs)
        return body, self.senders[to].post_form(urlencode(body))

    def interaction(self, to: int, body: dict[str, Any]) -> Answer:
        return self.senders[to].send_interaction(body)

    def event(self, to: int, body: dict[str, Any], *, retry_num: int | None = None) -> Answer:
        return self.senders[to].send_event(body, retry_num=retry_num)


def at_once(*sends: Callable[[], Answer]) -> list[Answer]:
    """Send each request from its own thread, all released at the same instant."""
    barrier = threading.Barrier(len(sends))

    def go(send: Callable[[], Answer]) -> Answer:
        barrier.wait(timeout=30)
        return send()

    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        return list(pool.map(go, sends))


def entry_values(text_: str, channel: str = FORM_CHANNEL) -> dict[str, dict[str, Any]]:
    return {
        ids.ENTRY_TEXT_BLOCK: {ids.ENTRY_TEXT_INPUT: {"type": "plain_text_input", "value": text_}},
        ids.ENTRY_GROUPS_BLOCK: {ids.ENTRY_GROUPS_INPUT: {"type": "multi_static_select", "selected_options": []}},
        ids.ENTRY_AREA_BLOCK: {ids.ENTRY_AREA_INPUT: {"type": "static_select", "selected_option": None}},
        ids.ENTRY_CHANNEL_BLOCK: {
            ids.ENTRY_CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": channel}
        },
    }


def action_values(title: str, *, owner: str, people: list[str], due: str) -> dict[str, dict[str, Any]]:
    return {
        ids.ACTION_TITLE_BLOCK: {ids.ACTION_TITLE_INPUT: {"type": "plain_text_input", "value": title}},
        ids.ACTION_OUTCOME_BLOCK: {ids.ACTION_OUTCOME_INPUT: {"type": "plain_text_input", "value": None}},
        ids.ACTION_OWNER_BLOCK: {ids.ACTION_OWNER_INPUT: {"type": "users_select", "selected_user": owner}},
        ids.ACTION_PEOPLE_BLOCK: {ids.ACTION_PEOPLE_INPUT: {"type": "multi_users_select", "selected_users": people}},
        ids.ACTION_DUE_BLOCK: {ids.ACTION_DUE_INPUT: {"type": "datepicker", "selected_date": due}},
        ids.ACTION_GROUPS_BLOCK: {ids.ACTION_GROUPS_INPUT: {"type": "multi_static_select", "selected_options": []}},
        ids.ACTION_AREA_BLOCK: {ids.ACTION_AREA_INPUT: {"type": "static_select", "selected_option": None}},
    }


def opened_form(balancer: Balancer, fake: FakeSlack, to: int, command: str, callback_id: str) -> dict[str, Any]:
    """The modal a command without text opens, as the fake Slack received it in views.open."""
    before = len(fake.calls_to("views.open"))
    _, answer = balancer.command(to, command, "")
    assert (answer.status, answer.text) == (200, ""), answer.text
    view: dict[str, Any] = fake.wait_for("views.open", before + 1, timeout=30)[-1].params["view"]
    assert view["callback_id"] == callback_id
    return view


def home_opened(event_id: str, user: str) -> dict[str, Any]:
    event = deep(payload("app_home_opened.home_tab.json"))
    event.update(event_id=event_id, team_id=TEAM)
    event["event"].update(user=user, tab="home")
    return event


# -- reading what happened -----------------------------------------------------------------------


def entries(database: Database) -> list[Entry]:
    with make_session_factory(database.engine)() as session:
        return list(session.scalars(select(Entry).order_by(Entry.id)))


def action_items(database: Database) -> list[ActionItem]:
    with make_session_factory(database.engine)() as session:
        return list(session.scalars(select(ActionItem).order_by(ActionItem.id)))


def deliveries(database: Database) -> list[Delivery]:
    with make_session_factory(database.engine)() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def posts_mentioning(fake: FakeSlack, token: str) -> list[Call]:
    """chat.postMessage calls whose text or blocks contain `token` (a word unique to one entry or item)."""
    pattern = re.compile(rf"\b{re.escape(token)}\b")
    return [call for call in fake.calls_to("chat.postMessage") if pattern.search(json.dumps(call.params))]


def settle(balancer: Balancer, fake: FakeSlack, tag: str) -> None:
    """Each web process posts a marker /proud; once every marker is out, the work queued before it was taken up."""
    markers = [f"marker-{tag}-{n}" for n in range(len(balancer.senders))]
    for n, marker in enumerate(markers):
        _, answer = balancer.command(n, "/proud", marker, channel="CMARKER")
        assert answer.status == 200, answer.text
    eventually(lambda: all(posts_mentioning(fake, marker) for marker in markers), timeout=30)
    time.sleep(0.5)  # taken up is not finished: leave the last background steps a moment


def assert_clean_logs(fleet: Fleet) -> None:
    logs = fleet.logs()
    assert "Traceback" not in logs, logs
    assert " ERROR " not in logs, logs


def ticked(process: BotProcess) -> bool:
    return "executed successfully" in process.output()


# -- the deployment ------------------------------------------------------------------------------


def working_around_the_clock(database: Database) -> None:
    """The workspace works every day, 00:00 to 23:59, in a zone where it is about noon now: messages that wait
    for working time go out at once, at whatever hour the suite runs."""
    offset = (12 - datetime.now(UTC).hour + 12) % 24 - 12  # hours east of UTC, -12 … +11
    tz = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-5 is five hours east
    with database.engine.begin() as connection:
        changed = connection.execute(
            text(
                "UPDATE workspaces SET work_days = '1,2,3,4,5,6,7', work_start = '00:00:00', work_end = '23:59:00', "
                "default_tz = :tz WHERE team_id = :team"
            ),
            {"tz": tz, "team": TEAM},
        ).rowcount
    assert changed == 1


def test_web_processes_and_schedulers_on_postgresql_answer_truthfully_and_deliver_exactly_once(
    fleet: Fleet, database: Database, fake_slack: FakeSlack
) -> None:
    migrate_once(fleet)
    web = fleet.web(WEB_PROCESSES)
    wait_healthy(fleet, web)
    balancer = Balancer(web, fake_slack)

    # 1. /proud and /sorry round-robin over the three processes, six at a time
    def send(n: int) -> tuple[str, str, int, dict[str, str], Answer]:
        command = "/proud" if n % 2 == 0 else "/sorry"
        word = f"cmd{n:03d}"
        to = balancer.next_process()
        body, answer = balancer.command(to, command, f"Entry {word} for the customer")
        return command, word, to, body, answer

    with ThreadPoolExecutor(max_workers=6) as pool:
        try:
            sent = list(pool.map(send, range(COMMANDS)))
        except OSError as error:  # what the processes said tells why one of them hung up
            raise AssertionError(f"{error!r}\n{fleet.logs()}") from error
    assert Counter(to for _, _, to, _, _ in sent) == dict.fromkeys(range(WEB_PROCESSES), COMMANDS // WEB_PROCESSES)

    # 2. a retried Events API delivery reaching two processes at once (the retry carries X-Slack-Retry-Num)
    home_users = [f"WHOME{n}" for n in range(3)]
    for n, user in enumerate(home_users):
        event = home_opened(f"EvDeploy{n}", user)
        first, second = n % WEB_PROCESSES, (n + 1) % WEB_PROCESSES
        answers = at_once(
            functools.partial(balancer.event, first, event),
            functools.partial(balancer.event, second, event, retry_num=1),
        )
        assert [answer.status for answer in answers] == [200, 200], [answer.text for answer in answers]

    # 3. the entry form, submitted through every process; some submissions sent again to another
    #    process once the first copy was answered (a double-clicked submit, a proxy retrying)
    form = opened_form(balancer, fake_slack, 0, "/proud", ids.ENTRY_MODAL)
    form_words = [f"form{n:02d}" for n in range(9)]
    for n, word in enumerate(form_words):
        body = balancer.builder.view_submission(form, entry_values(f"Form entry {word}"), view_id=f"VFORM{n:02d}")
        to = balancer.next_process()
        copies = [to, (to + 1) % WEB_PROCESSES] if n % 3 == 0 else [to]
        for copy_to in copies:
            answer = balancer.interaction(copy_to, dict(body, trigger_id=balancer.builder.next_trigger()))
            assert (answer.status, answer.text) == (200, ""), answer.text  # the form closes

    # 4. action items handed to other people over HTTP: each plans "new commitment" messages due now, which
    # go out in the recipients' working time: it is working time around the clock here, whenever the test runs
    working_around_the_clock(database)
    action_form = opened_form(balancer, fake_slack, 1, "/action", ids.ACTION_MODAL)
    due = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    titles = [f"item{n:02d}" for n in range(12)]
    for n, title in enumerate(titles):
        values = action_values(f"Call back {title}", owner=f"UOWN{n:02d}", people=[f"UHELP{n % 4}"], due=due)
        body = balancer.builder.view_submission(action_form, values, view_id=f"VACT{n:02d}")
        to = balancer.next_process()
        copies = [to, (to + 2) % WEB_PROCESSES] if n % 4 == 0 else [to]
        for copy_to in copies:
            answer = balancer.interaction(copy_to, dict(body, trigger_id=balancer.builder.next_trigger()))
            assert answer.status == 200, answer.text
            assert answer.json["response_action"] == "update", answer.text
            assert "Committed" in json.dumps(answer.json["view"]), answer.text

    settle(balancer, fake_slack, "web")

    # every command was answered truthfully: "saved" with the id of the entry that holds its text
    stored = {entry.id: entry for entry in entries(database)}
    for command, word, _to, body, answer in sent:
        assert answer.status == 200, answer.text
        reply = answer.json
        assert reply["response_type"] == "ephemeral", reply
        match = re.match(r"Saved your (proud|sorry) \(#(\d+)\)", reply["text"])
        assert match is not None, f"{reply}\n{fleet.logs()}"
        entry = stored[int(match.group(2))]
        assert (entry.kind, entry.text) == (command.strip("/"), f"Entry {word} for the customer")
        assert entry.idempotency_key == f"command:{body['trigger_id']}"

    # one entry per trigger id and per view id, each posted exactly once where it was meant to go
    keys = Counter(entry.idempotency_key for entry in stored.values())
    assert [key for key, count in keys.items() if count > 1] == []
    expected_keys = {f"command:{body['trigger_id']}" for *_, body, _ in sent} | {
        f"view:VFORM{n:02d}" for n in range(len(form_words))
    }
    markers = {entry.idempotency_key for entry in stored.values() if entry.channel_id == "CMARKER"}
    assert set(keys) - markers == expected_keys
    for _command, word, _to, _body, _answer in sent:
        [post] = posts_mentioning(fake_slack, word)
        assert post.params["channel"] == CHANNEL
    for word in form_words:
        [post] = posts_mentioning(fake_slack, word)
        assert post.params["channel"] == FORM_CHANNEL
    assert all(entry.message_ts for entry in stored.values()), [e.id for e in stored.values() if not e.message_ts]
    assert len({entry.message_ts for entry in stored.values()}) == len(stored)

    # the event delivered twice had one effect: one Home tab published per person
    for user in home_users:
        published = [call for call in fake_slack.calls_to("views.publish") if call.params.get("user_id") == user]
        assert len(published) == 1, (user, len(published))

    # one action item per view id
    items = action_items(database)
    assert sorted(item.idempotency_key for item in items) == sorted(f"view:VACT{n:02d}" for n in range(len(titles)))

    # 5. two schedulers start together: their first tick (at start) sends every "new commitment" once
    for user in {*(item.owner_id for item in items), *(u for item in items for u in item.involved_ids), USER}:
        fake_slack.users[user] = {"id": user, "name": user.lower(), "tz": "Europe/Berlin", "deleted": False}
    schedulers = fleet.schedulers(SCHEDULERS)
    expected = {
        (str(item.id), person)
        for item in items
        for person in {item.owner_id, *item.involved_ids}
        if person != item.created_by
    }
    try:
        eventually(lambda: all(ticked(process) for process in schedulers), timeout=START_TIMEOUT, interval=0.1)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{fleet.logs()}") from None

    rows = deliveries(database)
    assert {row.status for row in rows} == {DeliveryStatus.SENT.value}, Counter(row.status for row in rows)
    assert {(row.subject, row.recipient) for row in rows if row.kind == "action_assigned"} == expected
    assert len(rows) == len(expected)
    dms = [call for call in fake_slack.calls_to("chat.postMessage") if call.params["channel"].startswith("U")]
    assert Counter(call.params["channel"] for call in dms) == Counter(row.recipient for row in rows)
    by_item = {str(item.id): item.title for item in items}
    for row in rows:
        [post] = [
            call
            for call in dms
            if call.params["channel"] == row.recipient and by_item[row.subject] in json.dumps(call.params)
        ]
        assert post.params["text"].startswith("New commitment"), post.params["text"]

    # 6. SIGTERM stops every process cleanly, and nobody logged a traceback on the way
    codes = fleet.stop_all()
    assert codes == dict.fromkeys(fleet.names, 0), (codes, fleet.logs())
    assert_clean_logs(fleet)


# -- races made certain ----------------------------------------------


class KnownBug(AssertionError):
    """Raised by the check that would show a fixed bug again (any other failure is a failure of its own)."""


def expect(condition: object, message: str) -> None:
    if not condition:
        raise KnownBug(message)


FORMS = {
    "entry form": ("/proud", ids.ENTRY_MODAL, "entries"),
    "action item form": ("/action", ids.ACTION_MODAL, "action_items"),
}


def form_values(form: str, word: str) -> dict[str, dict[str, Any]]:
    if form == "entry form":
        return entry_values(f"Raced {word}")
    due = (datetime.now(UTC) + timedelta(days=40)).date().isoformat()
    return action_values(f"Raced {word}", owner="UOWNRACE", people=["UHELPRACE"], due=due)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param("entry form"),
        pytest.param("action item form"),
    ],
)
def test_one_submission_at_two_processes_at_once_is_stored_once_and_answered_truthfully(
    fleet: Fleet, database: Database, fake_slack: FakeSlack, form: str
) -> None:
    """A double-submitted form whose two copies reach two processes, both reading "not stored yet".

    The race is made certain: the test holds a SHARE lock on the table the form writes to (reads go
    on, inserts wait) until both processes wait on it, then lets them go together.
    """
    command, callback_id, table = FORMS[form]
    migrate_once(fleet)
    web = fleet.web(2)
    wait_healthy(fleet, web)
    balancer = Balancer(web, fake_slack)
    view = opened_form(balancer, fake_slack, 0, command, callback_id)
    body = balancer.builder.view_submission(view, form_values(form, "race01"), view_id="VRACE01")
    copies = [dict(body, trigger_id=balancer.builder.next_trigger()) for _ in web]

    with ThreadPoolExecutor(max_workers=1) as pool, database.engine.connect() as locker:
        locker.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
        sending = pool.submit(at_once, *[functools.partial(balancer.interaction, n, copies[n]) for n in range(2)])
        try:
            eventually(lambda: database.waiting_on_locks() >= 2, timeout=START_TIMEOUT, interval=0.05)
        finally:
            locker.rollback()
        answers = sending.result(timeout=60)
    settle(balancer, fake_slack, "race")

    # what is stored and sent is right: once
    if form == "entry form":
        assert [entry.idempotency_key for entry in entries(database)].count("view:VRACE01") == 1
        [post] = posts_mentioning(fake_slack, "race01")
        assert post.params["channel"] == FORM_CHANNEL
    else:
        [item] = action_items(database)
        assert item.idempotency_key == "view:VRACE01"
        assert sorted((row.subject, row.recipient) for row in deliveries(database)) == [
            (str(item.id), "UHELPRACE"),
            (str(item.id), "UOWNRACE"),
        ]
    assert all(answer.status == 200 for answer in answers), [answer.text for answer in answers]
    codes = fleet.stop_all()
    assert codes == dict.fromkeys(fleet.names, 0), (codes, fleet.logs())

    # what each copy is told is true, and nobody logs a traceback: the bug
    for answer in answers:
        if form == "entry form":
            expect(answer.text == "", f"a copy was not simply closed: {answer.text}")
        else:
            expect("Committed" in answer.text, f"a copy was not told it is committed: {answer.text}")
    logs = fleet.logs()
    expect("Traceback" not in logs, logs)
    assert_clean_logs(fleet)


# -- starting together on a brand-new database ---------------------------------------------------


def test_processes_started_together_on_a_new_database_all_come_up(
    fleet: Fleet, database: Database, fake_slack: FakeSlack
) -> None:
    """`docker compose up --scale web=3` on a fresh database, without a migrate step first.

    The race is made certain: the test creates alembic_version in a transaction it keeps open until
    every process waits on it, then rolls it back and lets them go together.
    """
    with database.engine.connect() as locker:
        locker.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        web = fleet.web(WEB_PROCESSES)
        schedulers = fleet.schedulers(SCHEDULERS)
        everyone = [*web, *schedulers]
        try:
            # a process that serialises its migration may wait elsewhere, or not at all: go on regardless
            with contextlib.suppress(AssertionError):
                eventually(
                    lambda: (
                        database.waiting_on_locks() >= len(everyone)
                        or any(p.process.poll() is not None for p in everyone)
                    ),
                    timeout=START_TIMEOUT,
                    interval=0.05,
                )
        finally:
            locker.rollback()

    def up(process: BotProcess) -> bool:
        if process.process.poll() is not None:
            return True  # it stopped: judged below
        if process in schedulers:
            return ticked(process)
        try:
            return process.healthy() is not None
        except AssertionError:
            return True  # it stopped between the two looks

    try:
        eventually(lambda: all(up(process) for process in everyone), timeout=START_TIMEOUT, interval=0.1)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{fleet.logs()}") from None
    stopped = {
        name: p.process.returncode
        for name, p in zip(fleet.names, fleet.processes, strict=True)
        if p.process.poll() is not None
    }
    if stopped:
        logs = fleet.logs()
        expect(
            "could not open the database" not in logs,
            f"processes that stopped at start (exit codes): {stopped}\n{logs}",
        )
        raise AssertionError(f"processes stopped at start for another reason: {stopped}\n{logs}")
    codes = fleet.stop_all()
    assert codes == dict.fromkeys(fleet.names, 0), (codes, fleet.logs())
    assert_clean_logs(fleet)
