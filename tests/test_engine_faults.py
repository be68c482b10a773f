"""Slack failing in every way it can, and engines dying: each nudge still arrives exactly once.

The engine here talks to the fake Slack through a client without the SDK's own retry handlers, so
that every failure reaches the engine, whose retries run on simulated time (nothing sleeps).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.deps import Deps
from bot.engine.engine import MAX_ATTEMPTS, NudgeEngine
from bot.services import actions
from bot.slack_client import make_web_client
from storage.models import Delivery, DeliveryStatus
from storage.repositories import deliveries as deliveries_repo
from tests.conftest import BOT_TOKEN
from tests.engine_harness import SimClock, utc
from tests.fake_slack import FakeSlack, Reply

TEAM = "T111"
OWNER = "UOWNER"
START = utc(2027, 3, 2, 6)  # Tuesday 07:00 in Berlin
DUE_AT = utc(2027, 3, 3, 8)  # Wednesday 09:00 in Berlin: the 7-day reminder of an item due on 10 March
CLOSED_PORT_URL = "http://127.0.0.1:9/api/"


def plain_client(api_url: str) -> WebClient:
    """A client without retry handlers: failures reach the engine."""
    return WebClient(token=BOT_TOKEN, base_url=api_url, timeout=5, retry_handlers=[])


class Setup:
    """One owner in Berlin with items due on 10 March: a reminder each at `DUE_AT`."""

    def __init__(self, deps: Deps, fake: FakeSlack, *, items: int = 1) -> None:
        self.fake = fake
        self.clock = SimClock(START)
        self.deps = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=self.clock)
        self.client = plain_client(fake.api_url)
        fake.users[OWNER] = {"id": OWNER, "name": "owner", "tz": "Europe/Berlin", "deleted": False}
        for n in range(items):
            self.add_item(OWNER, f"Call back the clinic {n}")

    def add_item(self, owner: str, title: str) -> None:
        """An item of `owner`'s due on 10 March (its 7-day reminder is due at `DUE_AT`)."""
        actions.create_action(
            self.deps,
            actions.NewAction(
                team_id=TEAM,
                title=title,
                owner_id=owner,
                created_by=owner,
                due_date=date(2027, 3, 10),
                today=START.date(),
                idempotency_key=f"faults:{owner}:{title}",
            ),
        )

    def engine(
        self, worker: str, client_for: Callable[[str], WebClient] | None = None, *, send_threads: int = 4
    ) -> NudgeEngine:
        return NudgeEngine(
            session_factory=self.deps.session_factory,
            client_for=client_for or (lambda _team: self.client),
            clock=self.clock,
            worker_id=worker,
            send_threads=send_threads,
        )

    def tick(self, engine: NudgeEngine, at: datetime) -> None:
        self.clock.now = at
        engine.tick(at)

    def deliveries(self) -> list[Delivery]:
        with self.deps.session_factory() as session:
            return list(session.scalars(select(Delivery).order_by(Delivery.id)))

    def reminder(self) -> Delivery:
        (row,) = [row for row in self.deliveries() if row.kind == "action_reminder"]
        return row

    def posts(self) -> int:
        return len(self.fake.calls_to("chat.postMessage"))


def assert_delivered_once(setup: Setup, failed_calls: int) -> None:
    """Each delivery sent once: Slack saw one successful post per sent row, and the failed attempts."""
    sent = [row for row in setup.deliveries() if row.status == DeliveryStatus.SENT.value]
    assert setup.posts() == len(sent) + failed_calls
    texts = [str(call.params["text"]) for call in setup.fake.calls_to("chat.postMessage")[failed_calls:]]
    assert len(texts) == len(set(texts)), texts


# -- transient errors: retried on the engine's schedule, delivered once ------------------------------


TRANSIENT: dict[str, tuple[Callable[[FakeSlack], None], timedelta, str]] = {
    # Slack's answer, how long the engine waits before trying again, what it records meanwhile
    "429-retry-after-1": (lambda fake: fake.rate_limit("chat.postMessage", retry_after=1), timedelta(seconds=1), "429"),
    "500": (lambda fake: fake.server_error("chat.postMessage"), timedelta(minutes=1), "500"),
}


@pytest.mark.parametrize("fault", list(TRANSIENT), ids=list(TRANSIENT))
def test_transient_slack_error_is_retried_after_its_wait_and_delivered_once(
    deps: Deps, fake_slack: FakeSlack, fault: str
) -> None:
    answer, wait, recorded = TRANSIENT[fault]
    setup = Setup(deps, fake_slack)
    engine = setup.engine("engine-a")
    setup.tick(engine, START)
    answer(fake_slack)
    setup.tick(engine, DUE_AT)
    row = setup.reminder()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, DUE_AT + wait)
    assert recorded in (row.last_error or "")

    setup.tick(engine, DUE_AT + wait - timedelta(milliseconds=1))  # not yet
    assert setup.posts() == 1
    setup.tick(engine, DUE_AT + wait)
    for hour in range(1, 6):
        setup.tick(engine, DUE_AT + timedelta(hours=hour))
    row = setup.reminder()
    assert (row.status, row.attempts, row.last_error, row.sent_at) == ("sent", 2, None, DUE_AT + wait)
    assert_delivered_once(setup, failed_calls=1)


def test_production_client_absorbs_a_429_and_the_nudge_is_delivered_once(deps: Deps, fake_slack: FakeSlack) -> None:
    """`make_web_client` (what `mindset-bot run` uses) waits out Retry-After itself: one real second."""
    setup = Setup(deps, fake_slack)
    setup.client = make_web_client(deps.settings)
    engine = setup.engine("engine-a")
    setup.tick(engine, START)
    fake_slack.rate_limit("chat.postMessage", retry_after=1)
    setup.tick(engine, DUE_AT)
    setup.tick(engine, DUE_AT + timedelta(hours=1))
    row = setup.reminder()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, DUE_AT)
    assert_delivered_once(setup, failed_calls=1)


def test_repeated_server_errors_back_off_exponentially_then_deliver_once(deps: Deps, fake_slack: FakeSlack) -> None:
    setup = Setup(deps, fake_slack)
    engine = setup.engine("engine-a")
    setup.tick(engine, START)
    fake_slack.server_error("chat.postMessage", times=3)
    attempts_at = []
    for minute in range(15):
        before = setup.posts()
        setup.tick(engine, DUE_AT + timedelta(minutes=minute))
        if setup.posts() > before:
            attempts_at.append(minute)
    assert attempts_at == [0, 1, 3, 7]  # then 1, 2 and 4 minutes later
    row = setup.reminder()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 4, DUE_AT + timedelta(minutes=7))
    assert_delivered_once(setup, failed_calls=3)


def test_connection_error_is_retried_and_delivered_once(deps: Deps, fake_slack: FakeSlack) -> None:
    setup = Setup(deps, fake_slack)
    broken = plain_client(CLOSED_PORT_URL)
    state = {"down": False}
    engine = setup.engine("engine-a", lambda _team: broken if state["down"] else setup.client)
    setup.tick(engine, START)  # the owner's time zone is learnt while Slack answers
    state["down"] = True
    setup.tick(engine, DUE_AT)
    row = setup.reminder()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, DUE_AT + timedelta(minutes=1))
    assert "connection" in (row.last_error or "")
    assert setup.posts() == 0
    state["down"] = False
    for minute in (1, 2, 60, 120):
        setup.tick(engine, DUE_AT + timedelta(minutes=minute))
    row = setup.reminder()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 2, DUE_AT + timedelta(minutes=1))
    assert_delivered_once(setup, failed_calls=0)


def test_a_transient_error_that_never_ends_is_given_up_after_max_attempts(deps: Deps, fake_slack: FakeSlack) -> None:
    setup = Setup(deps, fake_slack)
    engine = setup.engine("engine-a")
    setup.tick(engine, START)
    fake_slack.server_error("chat.postMessage", times=MAX_ATTEMPTS + 10)
    # hourly, Wednesday to Friday: eight ticks a day are in Berlin's working hours (a nudge is only tried then)
    for hour in range(3 * 24):
        setup.tick(engine, DUE_AT + timedelta(hours=hour))
        if setup.reminder().status == "failed":
            break
    row = setup.reminder()
    assert (row.status, row.attempts) == ("failed", MAX_ATTEMPTS)
    assert (row.last_error or "").startswith("gave up")
    assert setup.posts() == MAX_ATTEMPTS


# -- permanent errors: recorded once, never retried ------------------------------------------------


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive"])
def test_permanent_error_is_recorded_as_failed_and_not_retried(deps: Deps, fake_slack: FakeSlack, error: str) -> None:
    setup = Setup(deps, fake_slack)
    engine = setup.engine("engine-a")
    setup.tick(engine, START)
    fake_slack.fail("chat.postMessage", error)
    for hour in range(0, 24 * 6 + 4, 2):  # until Tuesday 9 March 12:00 UTC, after the 1-day reminder
        setup.tick(engine, DUE_AT + timedelta(hours=hour))
    reminders = [row for row in setup.deliveries() if row.kind == "action_reminder"]
    assert [(row.occasion, row.status, row.attempts, row.last_error) for row in reminders] == [
        ("due-7:2027-03-10", "failed", 1, error),
        ("due-1:2027-03-10", "sent", 1, None),  # a later nudge is tried on its own
    ]
    assert_delivered_once(setup, failed_calls=1)


# -- engines that die or stall ---------------------------------------------------------------------


def test_claim_of_a_dead_engine_is_taken_over_after_the_lease_not_before(deps: Deps, fake_slack: FakeSlack) -> None:
    setup = Setup(deps, fake_slack)
    engine = setup.engine("engine-new")
    setup.tick(engine, START)
    claimed_at = DUE_AT + timedelta(seconds=30)
    setup.clock.now = claimed_at
    engine.plan(claimed_at)
    with setup.deps.session_factory() as session:  # the dead engine claims, then is killed before sending
        (dead,) = deliveries_repo.claim_due(
            session, now=claimed_at, worker="engine-dead", limit=10, lease=timedelta(minutes=5)
        )
        session.commit()

    for later in (timedelta(seconds=1), timedelta(minutes=4, seconds=59), timedelta(minutes=5)):
        setup.tick(engine, claimed_at + later)
        assert setup.posts() == 0, later
        assert setup.reminder().claimed_by == "engine-dead"
    setup.tick(engine, claimed_at + timedelta(minutes=5, seconds=1))
    for minute in (6, 10, 60):
        setup.tick(engine, claimed_at + timedelta(minutes=minute))
    row = setup.reminder()
    assert (row.status, row.claimed_by, row.attempts) == ("sent", "engine-new", 2)
    assert row.sent_at == claimed_at + timedelta(minutes=5, seconds=1)
    assert_delivered_once(setup, failed_calls=0)
    # were the dead engine to wake up, its claim is gone: it records nothing over the new one
    with setup.deps.session_factory() as session:
        assert not deliveries_repo.mark_sent(
            session, delivery_id=dead.id, worker="engine-dead", now=claimed_at, channel="D1", ts="1.0"
        )
        session.commit()


class SlowClient(WebClient):
    """Each post takes two simulated minutes; `during` runs inside the chosen post (another engine)."""

    def __init__(self, clock: SimClock, api_url: str, during: dict[int, Callable[[], Any]]) -> None:
        super().__init__(token=BOT_TOKEN, base_url=api_url, timeout=5, retry_handlers=[])
        self.clock = clock
        self.during = during
        self.count = 0

    def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802
        self.count += 1
        self.clock.now += timedelta(minutes=2)
        if self.count in self.during:
            self.during[self.count]()
        return super().chat_postMessage(**kwargs)


def test_a_tick_slower_than_the_lease_never_sends_twice(deps: Deps, fake_slack: FakeSlack) -> None:
    """Engine A claims four reminders and sends them slowly; after the lease, engine B ticks."""
    setup = Setup(deps, fake_slack, items=4)
    fast = setup.engine("engine-b")
    slow_client = SlowClient(setup.clock, fake_slack.api_url, {3: lambda: fast.tick(setup.clock.now)})
    # one post at a time: each post moves the shared simulated clock, which only models sequential posts
    slow = setup.engine("engine-a", lambda _team: slow_client, send_threads=1)
    setup.tick(fast, START)
    setup.tick(slow, DUE_AT)  # A claims all four at DUE_AT; B ticks at DUE_AT + 6 minutes, during A's third post
    rows = [row for row in setup.deliveries() if row.kind == "action_reminder"]
    assert len(rows) == 4 and {row.status for row in rows} == {"sent"}
    assert {row.claimed_by for row in rows} == {"engine-a", "engine-b"}
    assert_delivered_once(setup, failed_calls=0)


# -- sending on several threads -----------------------------------------------------------------------


def test_a_fan_out_on_four_threads_sends_each_once_and_each_persons_messages_in_order(
    deps: Deps, fake_slack: FakeSlack
) -> None:
    people = [f"UPERSON{n:02d}" for n in range(9)]
    setup = Setup(deps, fake_slack, items=0)
    for person in people:
        fake_slack.users[person] = {"id": person, "name": person.lower(), "tz": "Europe/Berlin", "deleted": False}
        for n in range(3):
            setup.add_item(person, f"{person} promise {n}")
    engine = setup.engine("engine-a", send_threads=4)
    engine.batch_size = 7  # several batches, each mixing people
    setup.tick(engine, START)
    setup.tick(engine, DUE_AT)

    reminders = [row for row in setup.deliveries() if row.kind == "action_reminder"]
    assert len(reminders) == 27
    assert all(row.status == DeliveryStatus.SENT.value for row in reminders)
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 27  # nothing twice
    for person in people:
        titles = [str(call.params["text"]) for call in posts if call.params["channel"] == person]
        # each person's reminders arrive one after another in the order they were claimed (by id)
        expected = [f"{person} promise {n}" for n in range(3)]
        assert [next(title for title in expected if title in text) for text in titles] == expected, titles


# -- Slack unwell during a fan-out ------------------------------------------------------------------


def people_with_an_item_each(setup: Setup, count: int, *, tz: str | None = "Europe/Berlin") -> list[str]:
    people = [f"UFAN{n:03d}" for n in range(count)]
    for person in people:
        setup.fake.users[person] = {"id": person, "name": person.lower(), "tz": tz, "deleted": False}
        setup.add_item(person, f"{person}'s promise")
    return people


def reminders_by_person(setup: Setup) -> dict[str, list[str]]:
    """Each person's reminders the fake accepted (a 429 or 5xx answer is not a message)."""
    got: dict[str, list[str]] = {}
    for row in setup.deliveries():
        if row.kind == "action_reminder" and row.status == DeliveryStatus.SENT.value:
            got.setdefault(row.recipient, []).append(str(row.occasion))
    return got


def test_a_429_storm_during_a_fan_out_delivers_every_nudge_once(deps: Deps, fake_slack: FakeSlack) -> None:
    setup = Setup(deps, fake_slack, items=0)
    people = people_with_an_item_each(setup, 12)
    engine = setup.engine("engine-a", send_threads=4)
    setup.tick(engine, START)  # time zones learnt
    fake_slack.rate_limit("chat.postMessage", retry_after=1, times=20)

    at = DUE_AT
    while at <= DUE_AT + timedelta(minutes=1):  # every second, as the engine's own loop would be woken
        setup.tick(engine, at)
        if all(row.status == "sent" for row in setup.deliveries() if row.kind == "action_reminder"):
            break
        at += timedelta(seconds=1)
    for hour in (1, 2, 24):  # and later: nothing more
        setup.tick(engine, DUE_AT + timedelta(hours=hour))

    rows = [row for row in setup.deliveries() if row.kind == "action_reminder"]
    assert sorted(row.recipient for row in rows) == people
    assert {row.status for row in rows} == {"sent"}
    assert any(row.attempts > 1 for row in rows)  # the storm was met, and waited out
    # Slack took exactly one reminder per person: every other call was answered 429
    accepted = setup.posts() - 20
    assert accepted == len(people)
    assert_delivered_once(setup, failed_calls=20)


@pytest.mark.parametrize("outage", ["503", "429", "timeout"])
def test_slack_unwell_for_time_zones_during_a_fan_out_delays_the_nudges_and_sends_each_once(
    deps: Deps, fake_slack: FakeSlack, outage: str
) -> None:
    """users.info fails for everyone the engine needs a zone for: nothing goes out at a guessed hour, even
    past the hour it was due; once Slack answers again each reminder goes out once."""
    setup = Setup(deps, fake_slack, items=0)
    setup.client = WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url, timeout=1, retry_handlers=[])
    people = people_with_an_item_each(setup, 3, tz="America/New_York")
    engine = setup.engine("engine-a")
    failing = {
        "503": lambda: fake_slack.server_error("users.info", status=503, times=2 * len(people)),
        "429": lambda: fake_slack.rate_limit("users.info", retry_after=1, times=2 * len(people)),
        "timeout": lambda: fake_slack.script("users.info", *[Reply(delay=1.5)] * (2 * len(people))),
    }
    failing[outage]()
    # 09:00 in New York on Wednesday 3 March is 14:00 UTC: the engine ticks before it and after it
    after_due = utc(2027, 3, 3, 15)
    for at in (START, after_due):
        setup.tick(engine, at)
    assert len(fake_slack.calls_to("users.info")) == 2 * len(people)  # asked each time, in vain
    assert setup.posts() == 0

    back = after_due + timedelta(minutes=15)  # Slack answers again
    for at in (back, back + timedelta(hours=1), back + timedelta(hours=2)):
        setup.tick(engine, at)

    got = reminders_by_person(setup)
    assert sorted(got) == people and all(len(occasions) == 1 for occasions in got.values())
    assert {row.sent_at for row in setup.deliveries() if row.kind == "action_reminder"} == {back}
    assert_delivered_once(setup, failed_calls=0)
