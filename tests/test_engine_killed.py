"""The engine killed with SIGKILL in the middle of a fan-out (a real process), then started again, on
SQLite (where `mindset-bot run` is the only process: a crash and a restart is its whole story) and on
PostgreSQL: every nudge is delivered, none twice.

(tests/test_engine_two_processes.py kills one of two engines sharing PostgreSQL, the other finishing.)
"""

from __future__ import annotations

import signal
from datetime import timedelta

from sqlalchemy import Engine

from storage.models import DeliveryStatus
from tests.engine_harness import SimClock, utc
from tests.fake_slack import FakeSlack, Reply
from tests.test_engine_two_processes import (
    add_burst,
    assert_exactly_once,
    delivery_rows,
    make_deps,
    reports,
    wait_until,
    worker,
)

NUDGES = 60
SEND_THREADS = 4  # NudgeEngine's default: how many posts one engine has under way at once


def test_an_engine_killed_mid_fan_out_and_started_again_sends_every_nudge_once(
    database_url: str, engine: Engine, fake_slack: FakeSlack
) -> None:
    start = utc(2027, 3, 5, 12)
    deps = make_deps(engine, fake_slack, SimClock(start))
    owners = add_burst(deps, start, NUDGES)
    fake_slack.script("chat.postMessage", *[Reply(delay=0.05) for _ in range(NUDGES)])

    def posts() -> int:
        return len(fake_slack.calls_to("chat.postMessage"))

    victim = worker(database_url, fake_slack, "victim", [start], batch_size=20)
    try:
        wait_until(lambda: posts() >= NUDGES // 3, what="the fan-out to be well under way")
        # Slack stops acting on posts: the posts it took are answered and recorded, and every sending
        # thread comes to wait on its next post; then the kill (a kill during a post Slack has acted on
        # cannot be told from one it has not, by anyone: see README)
        fake_slack.pause()
        wait_until(lambda: fake_slack.held == SEND_THREADS, what="every sending thread to wait on Slack")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        if victim.poll() is None:
            victim.kill()
        fake_slack.resume()  # the dead engine's waiting posts are dropped: their client is gone

    rows = delivery_rows(deps)
    sent_before = [row for row in rows if row.status == DeliveryStatus.SENT.value]
    stuck = [row for row in rows if row.status == DeliveryStatus.SENDING.value]
    assert len(stuck) >= SEND_THREADS and {row.claimed_by for row in stuck} == {"victim"}
    assert posts() == len(sent_before) < NUDGES  # every post Slack took was recorded

    # started again: what the dead engine claimed waits for its five-minute lease; the rest goes at once
    after = [start + timedelta(minutes=1), start + timedelta(minutes=5), start + timedelta(minutes=5, seconds=1)]
    ticks = reports(worker(database_url, fake_slack, "restarted", after))
    assert [tick["sent"] for tick in ticks] == [NUDGES - len(sent_before) - len(stuck), 0, len(stuck)]

    sent = assert_exactly_once(deps, fake_slack, at_least=NUDGES)
    assert sorted(row.recipient for row in sent) == owners
    assert {row.claimed_by for row in sent} == {"victim", "restarted"}
