"""The quarterly review's query reads a quarter's commitments through the due-date indexes, and an engine reads it
once an hour in the two weeks after a quarter begins, not every tick (issue 15: a tick costs what is due)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.deps import Deps
from bot.engine import planners
from storage.models import DeliveryStatus
from tests.engine_harness import simulation, utc
from tests.fake_slack import FakeSlack
from tests.sql_log import each_statement
from tests.test_engine_schedule import add_item, rows

# the planner's query (the review message's Success Index reads the items too, in a statement of its own)
REVIEW_QUERY = (
    "SELECT action_items.team_id, action_items.owner_id \nFROM action_items \nWHERE action_items.original_due_date"
)


@contextmanager
def review_reads(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []
    with each_statement(
        engine, lambda statement: seen.append(statement) if statement.startswith(REVIEW_QUERY) else None
    ):
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


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_review_query_reads_a_quarter_through_the_due_date_indexes(engine: Engine) -> None:
    query = planners.owners_due_between(date(2026, 10, 1), date(2026, 12, 31), utc(2027, 1, 1))
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
