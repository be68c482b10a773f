"""Driving the nudge engine through simulated time: no sleeping, the clock is ours."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.deps import Deps
from bot.engine.engine import NudgeEngine, TickReport
from bot.slack_client import make_web_client
from tests.fake_slack import Call, FakeSlack


@dataclass
class SimClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Simulation:
    deps: Deps
    fake: FakeSlack
    clock: SimClock
    engines: list[NudgeEngine] = field(default_factory=list)

    def add_person(self, user_id: str, tz: str | None) -> None:
        self.fake.users[user_id] = {"id": user_id, "name": user_id.lower(), "tz": tz, "deleted": False}

    def tick(self) -> list[TickReport]:
        return [engine.tick(self.clock.now) for engine in self.engines]

    def run_until(self, end: datetime, step: timedelta = timedelta(minutes=15)) -> None:
        while self.clock.now < end:
            self.clock.now = min(self.clock.now + step, end)
            self.tick()

    def messages(self, kind_text: str | None = None) -> list[Call]:
        """Scheduled messages the fake received (chat.postMessage), optionally whose text contains `kind_text`."""
        posts = self.fake.calls_to("chat.postMessage")
        return [call for call in posts if kind_text is None or kind_text in str(call.params.get("text"))]


def make_engine(deps: Deps, clock: SimClock, worker_id: str) -> NudgeEngine:
    client = make_web_client(deps.settings)
    return NudgeEngine(
        session_factory=deps.session_factory, client_for=lambda _team: client, clock=clock, worker_id=worker_id
    )


def simulation(deps: Deps, fake: FakeSlack, start: datetime, engines: int = 1) -> Simulation:
    clock = SimClock(start)
    sim_deps = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=clock)
    sim = Simulation(sim_deps, fake, clock)
    sim.engines = [make_engine(sim_deps, clock, f"engine-{n}") for n in range(engines)]
    return sim


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def days(start: date, end: date) -> Iterator[date]:
    current = start
    while current <= end:
        yield current
        current += timedelta(days=1)


def param(call: Call, name: str) -> Any:
    return call.params.get(name)
