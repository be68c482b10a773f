"""One planner that fails, in Python or in the database, costs only its own work: the other planners' plans
are committed (on PostgreSQL a failed statement aborts the whole transaction unless it ran in a savepoint)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot import metrics
from bot.deps import Deps
from bot.engine.directory import Directory
from bot.engine.engine import NudgeEngine
from bot.engine.planners import PLANNERS, Planner
from storage.models import Delivery
from storage.repositories import deliveries as deliveries_repo
from storage.repositories.deliveries import Planned
from tests.engine_harness import SimClock, utc
from tests.test_metrics import grew, parse

NOW = utc(2027, 3, 2, 9)
TEAM = "T111"


def planning(subject: str) -> Planner:
    def plan(_session: Session, now: datetime, _directory: Directory) -> list[Planned]:
        return [Planned(TEAM, "test_only", subject, "UOWNER", "once", now)]

    return Planner(f"planning {subject}", lambda _session, _now: {(TEAM, f"U{subject}")}, plan)


def failing_in_the_database(_session: Session, _now: datetime, *_: object) -> list[Planned]:
    # writes first, then a statement the database refuses (PostgreSQL: the transaction is aborted)
    deliveries_repo.plan(_session, planned=[Planned(TEAM, "action_reminder", "half", "UOWNER", "x", _now)])
    _session.execute(text("SELECT no_such_column FROM deliveries"))
    return []


def failing_in_python(_session: Session, _now: datetime, *_: object) -> list[Planned]:
    deliveries_repo.plan(_session, planned=[Planned(TEAM, "action_reminder", "half", "UOWNER", "x", _now)])
    raise RuntimeError("a bug in a planner")


def engine_with(deps: Deps, planners: list[Planner]) -> NudgeEngine:
    return NudgeEngine(
        session_factory=deps.session_factory, client_for=lambda _team: None, clock=SimClock(NOW), planners=planners
    )


def subjects(deps: Deps) -> list[str]:
    with deps.session_factory() as session:
        return sorted(session.scalars(select(Delivery.subject)))


def test_a_planner_failing_in_the_database_leaves_the_others_plans_committed(deps: Deps) -> None:
    before = parse(metrics.exposition().decode())
    broken = Planner("root_cause", failing_in_the_database, failing_in_the_database)
    engine = engine_with(deps, [planning("first"), broken, planning("last")])

    assert engine.plan(NOW) == 2

    # what the failing planner wrote before failing is rolled back with it; before and after it, all is kept
    assert subjects(deps) == ["first", "last"]
    after = parse(metrics.exposition().decode())
    assert grew(before, after, "mindset_engine_planner_failures_total", planner="root_cause") == 1


def test_a_planner_failing_in_python_is_counted_and_rolled_back_alone(deps: Deps) -> None:
    before = parse(metrics.exposition().decode())
    engine = engine_with(
        deps, [planning("first"), Planner("a test's planner", failing_in_python, failing_in_python), planning("last")]
    )

    report = engine.tick(NOW)

    assert report.planned == 2
    assert subjects(deps) == ["first", "last"]
    after = parse(metrics.exposition().decode())
    # a name outside the fixed set of planners is counted as `other` (no new series): once when asked whom
    # it needs, once when planning
    assert grew(before, after, "mindset_engine_planner_failures_total", planner="other") == 2


def test_a_planner_whose_people_query_fails_leaves_the_others_people_wanted(deps: Deps) -> None:
    def broken_people(session: Session, _now: datetime) -> set[tuple[str, str]]:
        session.execute(text("SELECT no_such_column FROM people"))
        return set()

    broken = Planner("checkins", broken_people, lambda _session, _now, _directory: [])
    engine = engine_with(deps, [planning("first"), broken, planning("last")])
    with deps.session_factory() as session:
        wanted = engine._wanted(session, NOW, lambda planner: planner.people)
    assert wanted == {(TEAM, "Ufirst"), (TEAM, "Ulast")}


def test_every_planner_is_in_the_metrics_fixed_label_set() -> None:
    assert {planner.name for planner in PLANNERS} <= set(metrics.PLANNERS)
