"""The log-like tables stay bounded: a simulated year of events and nudges, pruned by the engine's ticks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, func, insert, select

from bot.deps import Deps
from bot.engine.engine import NudgeEngine, Retention
from bot.settings import Settings, SettingsError, load_settings
from storage.models import Delivery, DeliveryStatus, ProcessedEvent, TimeChange, slack_oauth_states
from storage.repositories import retention as retention_repo
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.engine_harness import SimClock, utc

START = utc(2027, 1, 4, 12)
EVENTS_A_DAY = 40
SENT_A_DAY = 30


def a_day_of_traffic(engine: Engine, day: int) -> None:
    """What a day adds: events (Home-tab opens and the like), nudges sent, one that stays pending for good
    (its workspace never answers), and an install page opened (a state that expires in ten minutes)."""
    now = START + timedelta(days=day)
    with engine.begin() as connection:
        connection.execute(
            insert(ProcessedEvent),
            [{"team_id": "T1", "event_id": f"Ev{day}-{n}", "received_at": now} for n in range(EVENTS_A_DAY)],
        )
        finished = [
            {
                "team_id": "T1",
                "kind": "action_reminder",
                "subject": str(n),
                "recipient": "U1",
                "occasion": f"day-{day}",
                "due_at": now,
                "next_attempt_at": now,
                "status": (DeliveryStatus.SENT if n % 3 else DeliveryStatus.SKIPPED).value,
                "attempts": 1,
            }
            for n in range(SENT_A_DAY)
        ]
        # waiting for a retry far ahead: no tick claims it
        pending = {
            **finished[0],
            "subject": "pending",
            "status": DeliveryStatus.PENDING.value,
            "next_attempt_at": now + timedelta(days=400),
        }
        connection.execute(insert(Delivery), [*finished, pending])
        naive = now.replace(tzinfo=None)
        connection.execute(
            insert(slack_oauth_states), [{"state": f"s{day}", "expire_at": naive + timedelta(minutes=10)}]
        )


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with engine.connect() as connection:
        events = connection.scalar(select(func.count()).select_from(ProcessedEvent)) or 0
        finished = (
            connection.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status != DeliveryStatus.PENDING.value)
            )
            or 0
        )
        pending = (
            connection.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.status == DeliveryStatus.PENDING.value)
            )
            or 0
        )
        states = connection.scalar(select(func.count()).select_from(slack_oauth_states)) or 0
    return events, finished, pending, states


def test_a_year_of_events_and_nudges_stays_within_the_retention(deps: Deps, engine: Engine) -> None:
    clock = SimClock(START)
    nudges = NudgeEngine(
        session_factory=deps.session_factory,
        client_for=lambda _team: None,
        clock=clock,
        planners=(),
        retention=Retention(processed_events=timedelta(days=7), deliveries=timedelta(days=40)),
    )
    most = (0, 0, 0, 0)
    for day in range(365):
        clock.now = START + timedelta(days=day)
        a_day_of_traffic(engine, day)
        nudges.tick(clock.now)
        most = tuple(max(a, b) for a, b in zip(most, counts(engine), strict=True))  # type: ignore[assignment]

    events, finished, pending, states = counts(engine)
    # a week of events and 40 days of finished deliveries (the day's own included), at every moment of the year
    assert most[0] <= EVENTS_A_DAY * 8 and events == EVENTS_A_DAY * 8
    assert most[1] <= SENT_A_DAY * 41 and finished == SENT_A_DAY * 41
    # pending deliveries are never pruned, however old; expired OAuth states are (today's is still live)
    assert pending == 365
    assert most[3] <= 2 and states == 1


def test_a_tick_prunes_at_most_once_an_hour(deps: Deps, engine: Engine) -> None:
    clock = SimClock(START)
    nudges = NudgeEngine(
        session_factory=deps.session_factory,
        client_for=lambda _team: None,
        clock=clock,
        planners=(),
        retention=Retention(processed_events=timedelta(days=1), every=timedelta(hours=1)),
    )
    nudges.tick(START)
    a_day_of_traffic(engine, 0)
    nudges.tick(START + timedelta(days=1, minutes=-30))  # before a day has passed: nothing to prune
    nudges.tick(START + timedelta(days=1, minutes=5))  # events a day old, but pruned less than an hour ago
    assert counts(engine)[0] == EVENTS_A_DAY
    nudges.tick(START + timedelta(days=1, minutes=31))
    assert counts(engine)[0] == 0


@pytest.mark.parametrize("days", ["0", "34", "ten"])
def test_a_deliveries_retention_under_35_days_is_one_clear_line(days: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(
            Settings,
            _env_file=None,
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            deliveries_retention_days=days,
        )
    [line] = raised.value.lines
    assert line.startswith("DELIVERIES_RETENTION_DAYS is invalid") and "from 35 to 3650" in line


def test_retention_defaults_are_a_week_of_events_and_ninety_days_of_deliveries() -> None:
    settings = load_settings(Settings, _env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET)
    assert settings.retention == (timedelta(days=7), timedelta(days=90))


def test_the_time_changes_keep_the_newest_and_their_ids_are_never_handed_out_again(
    deps: Deps, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engines read the time changes above the last id they saw: pruning keeps the newest `TIME_CHANGES_KEPT`
    (a bound however many people move), and an id is never given again (SQLite's AUTOINCREMENT), even after every
    row of a workspace was purged, so that no engine takes a new change for one it has already read."""
    monkeypatch.setattr(retention_repo, "TIME_CHANGES_KEPT", 50)
    nudges = NudgeEngine(
        session_factory=deps.session_factory,
        client_for=lambda _team: None,
        clock=SimClock(START),
        planners=(),
        retention=Retention(),
    )
    for day in range(4):
        with engine.begin() as connection:
            connection.execute(insert(TimeChange), [{"team_id": "T1", "user_id": f"U{n}"} for n in range(40)])
        nudges.tick(START + timedelta(days=day))
        with engine.connect() as connection:
            kept = connection.execute(select(TimeChange.id).order_by(TimeChange.id)).scalars().all()
        newest = 40 * (day + 1)
        assert kept == list(range(max(1, newest - 50 + 1), newest + 1))  # the newest 50 (or all while fewer)

    with engine.begin() as connection:
        connection.execute(delete(TimeChange))  # every row gone (a workspace purged)
        connection.execute(insert(TimeChange), [{"team_id": "T1", "user_id": "U1"}])
        assert connection.scalar(select(func.max(TimeChange.id))) == 161
