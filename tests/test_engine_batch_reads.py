"""The engine reads what a claimed batch needs once, with the claim, not before each send; what it read
is used only while it is fresh, so a batch held up by Slack decides on what the database says then."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from time import monotonic

from sqlalchemy import Engine, select

from bot.deps import Deps
from bot.engine.engine import NudgeEngine
from bot.services import actions
from bot.slack_client import make_web_client
from storage.models import ActionStatus, Delivery
from tests.engine_harness import simulation, utc
from tests.fake_slack import FakeSlack, Reply
from tests.sql_log import each_statement

TEAM = "T111"
MANAGER = "UMANAGER"


def assign(deps: Deps, owner: str, title: str) -> actions.ActionCard:
    """A commitment a manager gives `owner`: its "new commitment" message is due at once."""
    card, _ = actions.create_action(
        deps,
        actions.NewAction(
            team_id=TEAM,
            title=title,
            owner_id=owner,
            created_by=MANAGER,
            due_date=deps.clock().date() + timedelta(days=30),
            today=deps.clock().date(),
            idempotency_key=f"test:{owner}:{title}",
        ),
    )
    return card


@contextmanager
def statements_by_thread(engine: Engine) -> Iterator[Counter[str]]:
    """Counts the SQL statements executed, by the name prefix of the thread that ran them."""
    counts: Counter[str] = Counter()

    def count(_statement: str) -> None:
        counts[threading.current_thread().name.split("_", 1)[0]] += 1

    with each_statement(engine, count):
        yield counts


def test_a_batch_is_read_with_its_claim_and_each_send_only_records_itself(
    deps: Deps, fake_slack: FakeSlack, engine: Engine
) -> None:
    sim = simulation(deps, fake_slack, utc(2026, 11, 2, 10, 0))
    owners = [f"UOWNER{n:02}" for n in range(30)]
    for owner in owners:
        sim.add_person(owner, "Europe/Berlin")
    for owner in owners:
        assign(sim.deps, owner, f"Call back the clinic for {owner}")

    with statements_by_thread(engine) as statements:
        [report] = sim.tick()

    assert report.sent == 30
    assert sorted(call.params["channel"] for call in sim.messages("New commitment")) == owners
    # the sending threads wrote one statement per delivery (it was sent) and read nothing: the items,
    # their people and groups, the recipients and the workspace were read once, with the claim
    assert statements["deliver"] == 30


def test_a_batch_read_too_long_ago_is_read_again_before_sending(deps: Deps, fake_slack: FakeSlack) -> None:
    """Slack holds up the first of a person's two messages; meanwhile the second item is closed: it is
    not announced, because the engine reads it again instead of trusting what it read with the claim."""
    start = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    began = monotonic()
    sim = simulation(deps, fake_slack, start)
    sim.add_person("UOWNER", "Europe/Berlin")
    first = assign(sim.deps, "UOWNER", "Call back the clinic")
    second = assign(sim.deps, "UOWNER", "Visit the warehouse")
    client = make_web_client(sim.deps.settings)
    engine = NudgeEngine(
        session_factory=sim.deps.session_factory,
        client_for=lambda _team: client,
        clock=lambda: start + timedelta(seconds=monotonic() - began),  # a wall clock, as in production
        worker_id="engine-slow-slack",
        prefetch_fresh_for=timedelta(seconds=0.5),
    )
    fake_slack.script("chat.postMessage", Reply(delay=2.0, body={"ok": True, "channel": "D1", "ts": "1.000001"}))

    ticking = threading.Thread(target=lambda: engine.tick(start))
    ticking.start()
    [held] = fake_slack.wait_for("chat.postMessage")
    assert first.title in str(held.params["text"])
    actions.set_status(sim.deps, team_id=TEAM, action_id=second.id, user_id="UOWNER", status=ActionStatus.DONE)
    ticking.join(timeout=30)

    assert [first.title in str(call.params["text"]) for call in fake_slack.calls_to("chat.postMessage")] == [True]
    with sim.deps.session_factory() as session:
        statuses = {row.subject: row.status for row in session.scalars(select(Delivery))}
    assert statuses == {str(first.id): "sent", str(second.id): "skipped"}
