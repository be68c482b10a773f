"""Several engines on one PostgreSQL database: in threads, in processes, and one killed mid-fan-out.

Every nudge goes out exactly once: no (recipient, message) twice at the fake Slack, one sent row per
nudge, nothing left pending.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from bot.deps import Deps
from bot.engine.engine import NudgeEngine
from bot.services import actions, entries
from bot.slack_client import make_web_client
from storage.db import make_session_factory
from storage.models import Delivery, DeliveryStatus, EntryKind, Person
from tests.conftest import make_settings
from tests.engine_harness import SimClock, utc
from tests.fake_slack import FakeSlack, Reply

pytestmark = pytest.mark.postgres

TEAM = "T111"
WORKER = Path(__file__).with_name("engine_worker.py")
ROOT = Path(__file__).resolve().parent.parent
ZONES = ("America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
WEEK_START = utc(2027, 3, 5, 12)  # a Friday
WEEK = [WEEK_START + timedelta(hours=3 * n) for n in range(1, 8 * 7 + 1)]


def make_deps(engine: Engine, fake: FakeSlack, clock: SimClock) -> Deps:
    settings = make_settings(slack_api_url=fake.api_url, database_url=str(engine.url))
    return Deps(settings=settings, session_factory=make_session_factory(engine), clock=clock)


def populate_week(deps: Deps, fake: FakeSlack, owners: int = 30) -> None:
    """Owners across zones: items due during the week, long-term items, some assigned by a lead, sorries."""
    for n in range(owners):
        user = f"U{n:03d}"
        fake.users[user] = {"id": user, "name": user.lower(), "tz": ZONES[n % len(ZONES)], "deleted": False}
        for title, due in ((f"Soon {n}", date(2027, 3, 8 + n % 5)), (f"Later {n}", date(2027, 9, 30))):
            actions.create_action(
                deps,
                actions.NewAction(
                    team_id=TEAM,
                    title=title,
                    owner_id=user,
                    created_by="ULEAD" if n % 3 == 0 else user,
                    involved=[f"U{(n + 1) % owners:03d}"] if n % 4 == 0 else [],
                    due_date=due,
                    today=deps.clock().date(),
                    idempotency_key=f"week:{title}",
                ),
            )
        if n % 3 == 1:
            entries.log_entry(
                deps,
                entries.NewEntry(
                    team_id=TEAM,
                    kind=EntryKind.SORRY,
                    author_id=user,
                    channel_id="CTEAM",
                    text=f"Sorry number {n}",
                    idempotency_key=f"week:sorry:{n}",
                ),
            )


def delivery_rows(deps: Deps) -> list[Delivery]:
    with deps.session_factory() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def assert_exactly_once(deps: Deps, fake: FakeSlack, *, at_least: int) -> list[Delivery]:
    rows = delivery_rows(deps)
    sent = [row for row in rows if row.status == DeliveryStatus.SENT.value]
    assert {row.status for row in rows} <= {DeliveryStatus.SENT.value, DeliveryStatus.SKIPPED.value}
    assert len(sent) >= at_least
    posts = fake.calls_to("chat.postMessage")
    duplicates = Counter((call.params["channel"], call.params["text"]) for call in posts)
    assert [key for key, count in duplicates.items() if count > 1] == []
    assert len(posts) == len(sent)
    assert Counter(call.params["channel"] for call in posts) == Counter(row.recipient for row in sent)
    return sent


def test_two_engines_in_threads_send_each_nudge_once(pg: Engine, fake_slack: FakeSlack) -> None:
    clock = SimClock(WEEK_START)
    deps = make_deps(pg, fake_slack, clock)
    populate_week(deps, fake_slack)
    client = make_web_client(deps.settings)
    engines = [
        NudgeEngine(
            session_factory=deps.session_factory,
            client_for=lambda _team: client,
            clock=clock,
            worker_id=f"thread-{n}",
            batch_size=3,  # small batches: the two engines take turns within a tick
        )
        for n in range(2)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for at in WEEK:
            clock.now = at
            for future in [pool.submit(engine.tick, at) for engine in engines]:
                future.result()
    sent = assert_exactly_once(deps, fake_slack, at_least=100)
    assert {row.claimed_by for row in sent} == {"thread-0", "thread-1"}
    assert {row.kind for row in sent} >= {
        "action_assigned",
        "action_reminder",
        "action_overdue",
        "weekly_checkin",
        "root_cause_nudge",
    }


def test_two_engines_in_threads_share_a_burst_without_sending_twice(pg: Engine, fake_slack: FakeSlack) -> None:
    """200 nudges due at one instant, claimed one at a time by two engines racing for the same rows."""
    start = utc(2027, 3, 5, 12)
    clock = SimClock(start)
    deps = make_deps(pg, fake_slack, clock)
    add_burst(deps, start, 200)
    client = make_web_client(deps.settings)
    engines = [
        NudgeEngine(
            session_factory=deps.session_factory,
            client_for=lambda _team: client,
            clock=clock,
            worker_id=f"thread-{n}",
            batch_size=1,
        )
        for n in range(2)
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(engine.tick, start) for engine in engines]:
            future.result()
    sent = assert_exactly_once(deps, fake_slack, at_least=200)
    assert len(sent) == 200
    assert {row.claimed_by for row in sent} == {"thread-0", "thread-1"}


def add_burst(deps: Deps, start: datetime, count: int) -> list[str]:
    """`count` owners whose time zones are known, each handed a commitment by a lead at `start`."""
    owners = [f"U{n:03d}" for n in range(count)]
    with deps.session_factory() as session:  # time zones already known: the tick goes straight to sending
        session.add_all(Person(team_id=TEAM, user_id=user, tz="Europe/Berlin", tz_checked_at=start) for user in owners)
        session.commit()
    for user in owners:
        actions.create_action(
            deps,
            actions.NewAction(
                team_id=TEAM,
                title=f"Commitment for {user}",
                owner_id=user,
                created_by="ULEAD",
                due_date=date(2027, 9, 30),
                today=start.date(),
                idempotency_key=f"burst:{user}",
            ),
        )
    return owners


def worker(
    url: str,
    fake: FakeSlack,
    name: str,
    times: list[datetime] | None,
    batch_size: int = 200,
    prefetch_fresh_for: float | None = None,
) -> subprocess.Popen[str]:
    """An engine process; with `times` None it ticks at the times written to its standard input.
    `prefetch_fresh_for` 0 makes it read each delivery's item just before sending it."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_API_URL": fake.api_url,
        "WORKER_ID": name,
        "TICKS": ",".join(at.isoformat() for at in times or []),
        "BATCH_SIZE": str(batch_size),
        "PGAPPNAME": name,  # lets the test find the worker's connections in pg_stat_activity
        **({"PREFETCH_FRESH_FOR": str(prefetch_fresh_for)} if prefetch_fresh_for is not None else {}),
    }
    return subprocess.Popen(
        [sys.executable, str(WORKER)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE if times is None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        # a stepped worker's log goes to a file: a pipe nobody reads until the end could fill up and block it
        stderr=tempfile.TemporaryFile(mode="w+") if times is None else subprocess.PIPE,
        text=True,
    )


def tick_in_step(processes: list[subprocess.Popen[str]], at: datetime, timeout: float = 60) -> list[dict[str, object]]:
    """Every process ticks at `at` at the same moment; returns when all have reported."""
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(at.isoformat() + "\n")
        process.stdin.flush()
    found = []
    for process in processes:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            process.wait(timeout=timeout)
            raise AssertionError(f"an engine process stopped with code {process.returncode}")
        found.append(json.loads(line))
    return found


def reports(process: subprocess.Popen[str], timeout: float = 60) -> list[dict[str, object]]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_two_engine_processes_send_each_nudge_once(postgres_url: str, pg: Engine, fake_slack: FakeSlack) -> None:
    clock = SimClock(WEEK_START)
    deps = make_deps(pg, fake_slack, clock)
    populate_week(deps, fake_slack)
    # Both engines tick at the same simulated moment, as engines sharing a wall clock do: the lease
    # (five minutes) assumes their clocks agree, so one must not run hours of simulated time ahead.
    processes = [worker(postgres_url, fake_slack, f"process-{n}", None, batch_size=3) for n in range(2)]
    try:
        done = [tick_in_step(processes, at) for at in WEEK]
    finally:
        for process in processes:
            assert process.stdin is not None
            process.stdin.close()
            process.wait(timeout=30)
    assert len(done) == len(WEEK) and all(len(ticks) == 2 for ticks in done)
    assert [process.returncode for process in processes] == [0, 0]
    sent = assert_exactly_once(deps, fake_slack, at_least=100)
    assert {row.claimed_by for row in sent} == {"process-0", "process-1"}


def wait_until(condition: object, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_worker_killed_mid_fan_out_is_finished_after_the_lease(
    postgres_url: str, pg: Engine, fake_slack: FakeSlack
) -> None:
    """200 "new commitment" messages are due at once; two workers share them and one is SIGKILLed.

    The kill lands while the worker holds a claimed batch and waits on the database, between two
    posts (a kill during a post cannot be told from a post that never happened: see the report). So
    that it waits between posts, the victim reads each item just before sending it (an engine reads a
    batch's items with the claim while that is a few seconds old, and then sends without waiting on
    the database until the post is made).
    """
    start = utc(2027, 3, 5, 12)
    clock = SimClock(start)
    deps = make_deps(pg, fake_slack, clock)
    add_burst(deps, start, 200)
    # slow enough that one worker (four posts at a time) cannot finish alone before the other starts
    fake_slack.script("chat.postMessage", *[Reply(delay=0.1) for _ in range(200)])

    def posts() -> int:
        return len(fake_slack.calls_to("chat.postMessage"))

    def waiting_on_lock(name: str) -> bool:
        with pg.connect() as connection:
            return bool(
                connection.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE application_name = :name AND wait_event_type = 'Lock'"
                    ),
                    {"name": name},
                )
            )

    victim = worker(postgres_url, fake_slack, "victim", [start], batch_size=20, prefetch_fresh_for=0)
    survivor = worker(postgres_url, fake_slack, "survivor", [start], batch_size=20)

    def both_sending() -> bool:
        senders = {row.claimed_by for row in delivery_rows(deps) if row.status == DeliveryStatus.SENT.value}
        return posts() >= 50 and {"victim", "survivor"} <= senders

    wait_until(both_sending, what="the fan-out to start in both workers")
    with pg.connect() as blocker:
        # every worker stops before preparing its next message (the victim reads the action item then;
        # the survivor, which reads a batch's items with its claim, stops before claiming the next batch)
        blocker.execute(text("LOCK TABLE action_items IN ACCESS EXCLUSIVE MODE"))
        wait_until(lambda: waiting_on_lock("victim"), what="the victim to wait on the lock")
        # the engine sends on several threads: let the posts already under way finish (and be recorded)
        # and every other thread reach the lock too, so that the kill lands between posts
        settled = posts()
        while True:
            time.sleep(0.5)
            if posts() == settled:
                break
            settled = posts()
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        blocker.rollback()
    reports(survivor)

    stuck = [row for row in delivery_rows(deps) if row.status == DeliveryStatus.SENDING.value]
    assert stuck and {row.claimed_by for row in stuck} == {"victim"}
    assert posts() == 200 - len(stuck)

    after = [start + timedelta(minutes=4), start + timedelta(minutes=5), start + timedelta(minutes=5, seconds=1)]
    ticks = reports(worker(postgres_url, fake_slack, "restarted", after))
    assert [tick["sent"] for tick in ticks] == [0, 0, len(stuck)]
    sent = assert_exactly_once(deps, fake_slack, at_least=200)
    assert len(sent) == 200
    assert Counter(row.claimed_by for row in sent).keys() == {"victim", "survivor", "restarted"}
