"""The quarterly review's query reads a quarter's commitments through the due-date indexes, and an engine reads it
once an hour in the two weeks after a quarter begins, not every tick (issue 15: a tick costs what is due)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.deps import Deps
from bot.engine import planners, reviews
from bot.services import people as services_people
from storage.models import DeliveryStatus
from tests.engine_harness import simulation, utc
from tests.fake_slack import FakeSlack
from tests.sql_log import each_statement
from tests.test_engine_schedule import TEAM, add_item, rows

# the planner's query (the review message's Success Index reads the items too, in a statement of its own)
REVIEW_QUERY = (
    "SELECT action_items.team_id AS team_id, action_items.owner_id AS owner_id \nFROM action_items \n"
    "WHERE action_items.original_due_date"
)


@contextmanager
def review_reads(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []
    with each_statement(engine, lambda statement: seen.append(statement) if REVIEW_QUERY in statement else None):
        yield seen


def test_an_engine_reads_whom_reviews_are_for_hourly_and_still_sends_each_on_time(
    deps: Deps, fake_slack: FakeSlack, engine: Engine
) -> None:
    sim = simulation(deps, fake_slack, utc(2026, 10, 5, 1))
    sim.add_person("UAKL", "Pacific/Auckland")
    sim.add_person("UBERLIN", "Europe/Berlin")
    for user in ("UAKL", "UBERLIN"):
        add_item(sim, user, date(2026, 11, 16), f"Q4 commitment of {user}")
    sim.clock.now = utc(2026, 12, 31, 16)
    with review_reads(engine) as reads:
        sim.run_until(utc(2027, 1, 1, 9), step=timedelta(minutes=5))  # 204 ticks in 17 hours

    # once an hour (16:05, 17:05 … 08:05), for the two quarters that have just ended somewhere on Earth
    assert len(reads) == 2 * 17, len(reads)
    reviews = rows(sim, kind=planners.REVIEW)
    assert [(row.recipient, row.status) for row in reviews] == [
        ("UAKL", DeliveryStatus.SENT.value),
        ("UBERLIN", DeliveryStatus.SENT.value),
    ]
    assert all(row.sent_at == row.due_at for row in reviews)  # at its first working tick, not an hour late


def test_a_tick_in_the_review_window_reads_people_only_when_a_review_falls_due_or_its_person_moves(
    deps: Deps, fake_slack: FakeSlack, engine: Engine
) -> None:
    """Whom the reviews are for is read hourly; when each falls due is kept by the engine between reads, so a
    tick reads nobody's zone unless a review's moment has come or its person's time changed (a move, here): the
    cost of a tick in the two weeks of the window is what falls due, not how many people have commitments."""
    sim = simulation(deps, fake_slack, utc(2026, 10, 5, 1))
    zones = {"UAKL": "Pacific/Auckland", "UBERLIN": "Europe/Berlin", "UNY": "America/New_York"}
    for user, tz in zones.items():
        sim.add_person(user, tz)
        add_item(sim, user, date(2026, 11, 16), f"Q4 commitment of {user}")
    sim.tick()  # the engine learns their zones
    sim.clock.now = utc(2026, 12, 31, 12)
    people_reads: list[datetime] = []
    with each_statement(
        engine,
        lambda statement: people_reads.append(sim.clock.now) if "\nFROM people" in statement else None,
    ):
        moved = False
        while sim.clock.now < utc(2027, 1, 1, 12):
            sim.clock.now += timedelta(minutes=5)
            if not moved and sim.clock.now >= utc(2027, 1, 1, 8, 30):
                # New York moves to London: their review follows their new zone at once
                assert services_people.user_changed(
                    sim.deps, team_id=TEAM, user={"id": "UNY", "tz": "Europe/London", "deleted": False}
                )
                moved = True
            sim.tick()

    sent = {row.recipient: row.sent_at for row in rows(sim, kind=planners.REVIEW)}
    # each at their first working morning of 2027 (Friday 1 January), New York's in London
    assert sent == {
        "UAKL": utc(2026, 12, 31, 20),  # 09:00 in Auckland (UTC+13)
        "UBERLIN": utc(2027, 1, 1, 8),  # 09:00 in Berlin (UTC+1)
        "UNY": utc(2027, 1, 1, 9),  # 09:00 in London, not 14:00 UTC in New York
    }
    # of the 288 ticks of the day, these read anybody's zone: not one more for the reviews waiting
    assert sorted(set(people_reads)) == [
        utc(2026, 12, 31, 12, 5),  # the window's first tick here: whom, and when each review falls due
        utc(2026, 12, 31, 14),  # New York's morning: their overdue item's daily look (another planner)
        utc(2026, 12, 31, 20),  # Auckland's review
        utc(2027, 1, 1, 8),  # Berlin's
        utc(2027, 1, 1, 8, 30),  # the move, seen at once
        utc(2027, 1, 1, 9),  # New York's, now in London
    ]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_review_query_reads_a_quarter_through_the_due_date_indexes(engine: Engine) -> None:
    query = reviews.owners_due_between(date(2026, 10, 1), date(2026, 12, 31), utc(2027, 1, 1))
    compiled = query.compile(dialect=engine.dialect)
    with engine.connect() as connection:
        plan = [
            str(row[-1])
            for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", tuple(None for _ in compiled.positiontup or ())
            )
        ]
        assert not connection.execute(text("SELECT 1 FROM action_items")).first()

    searches = [step for step in plan if "action_items" in step]
    assert len(searches) == 2, plan
    assert any(
        "ix_action_items_original_due_owner (original_due_date>? AND original_due_date<?)" in s for s in searches
    )
    assert any("ix_action_items_due_owner (due_date>? AND due_date<?)" in s for s in searches)
    assert not any(step.startswith("SCAN action_items") for step in searches), plan
