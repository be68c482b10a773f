"""The Success Index, computed by hand for one quarter (2027 Q1) on both databases.

Items are created and changed through the services at chosen moments of a simulated clock, as a
person would through Slack; then the index is compared with what the definition says:
kept / due per quarter, the due date as it stood when the quarter began (for items created during
the quarter: the first promise), kept meaning done on or before that date.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.deps import Deps
from bot.services import actions
from bot.services import success_index as si
from bot.services.success_index import IndexLine
from storage.models import ActionStatus, Person
from tests.engine_harness import SimClock, utc

TEAM = "T111"
ME = "UME"
PEER = "UPEER"
OTHER_TEAM = "T222"


class World:
    """The services driven at moments we choose."""

    def __init__(self, deps: Deps) -> None:
        self.clock = SimClock(utc(2026, 6, 1, 10, 0))
        self.deps = Deps(settings=deps.settings, session_factory=deps.session_factory, clock=self.clock)
        self._keys = 0

    def at(self, moment: datetime) -> World:
        self.clock.now = moment
        return self

    def create(self, title: str, due: date, *, owner: str = ME, team: str = TEAM) -> int:
        self._keys += 1
        card, created = actions.create_action(
            self.deps,
            actions.NewAction(
                team_id=team,
                title=title,
                owner_id=owner,
                created_by=owner,
                due_date=due,
                today=self.clock.now.date(),
                idempotency_key=f"test:{self._keys}",
            ),
        )
        assert created
        return card.id

    def status(self, item: int, status: ActionStatus, *, owner: str = ME, team: str = TEAM) -> None:
        reason = "no longer needed" if status is ActionStatus.DROPPED else None
        actions.set_status(self.deps, team_id=team, action_id=item, user_id=owner, status=status, reason=reason)

    def done(self, item: int, **kwargs: str) -> None:
        self.status(item, ActionStatus.DONE, **kwargs)

    def move(self, item: int, due: date, *, owner: str = ME) -> None:
        actions.reschedule(self.deps, team_id=TEAM, action_id=item, user_id=owner, due=due, today=self.clock.now.date())

    def person(self, year: int, quarter: int, user: str = ME, until: date | None = None) -> list[tuple[str, int, int]]:
        with self.deps.session_factory() as session:
            lines = si.index_lines(session, team_id=TEAM, user_id=user, year=year, quarter=quarter, until=until)
        return numbers(lines)

    def team(self, users: list[str], year: int, quarter: int) -> list[tuple[str, int, int]]:
        with self.deps.session_factory() as session:
            return numbers(si.team_index(session, team_id=TEAM, user_ids=users, year=year, quarter=quarter))

    def workspace(self, year: int, quarter: int, team: str = TEAM) -> list[tuple[str, int, int]]:
        with self.deps.session_factory() as session:
            return numbers(si.workspace_index(session, team_id=team, year=year, quarter=quarter))


def numbers(lines: list[IndexLine]) -> list[tuple[str, int, int]]:
    return [(line.label, line.kept, line.due) for line in lines]


def expect(short: tuple[int, int], long: tuple[int, int]) -> list[tuple[str, int, int]]:
    """Lines as (kept, due) for short and long term; "All" is their sum."""
    return [
        ("Short term", *short),
        ("Long term", *long),
        ("All", short[0] + long[0], short[1] + long[1]),
    ]


@pytest.fixture
def world(deps: Deps) -> World:
    return World(deps)


def build_quarter(world: World) -> dict[str, int]:
    """The cast of 2027 Q1, each item annotated with what the index must make of it."""
    items: dict[str, int] = {}
    # long term: created 1 June 2026, due 1 February 2027 (more than 6 months later), done the day before
    items["long_kept"] = world.at(utc(2026, 6, 1, 10)).create("Long-term commitment", date(2027, 2, 1))

    world.at(utc(2026, 11, 2, 10))
    # due in Q4 2026 first; moved during Q4 (before Q1 began) into Q1: counts in Q1 by its new date
    items["moved_in"] = world.create("Moved into the quarter", date(2026, 12, 15))
    # due in Q1 but dropped before Q1 began: no longer a commitment of Q1
    items["dropped_before"] = world.create("Dropped before the quarter", date(2027, 1, 10))

    world.at(utc(2026, 12, 1, 10))
    items["early"] = world.create("Done early", date(2027, 2, 15))
    items["late"] = world.create("Done late", date(2027, 2, 15))
    items["moved_out_during"] = world.create("Moved out during the quarter", date(2027, 3, 10))
    items["dropped"] = world.create("Dropped during the quarter", date(2027, 3, 1))
    items["moved_out_before"] = world.create("Moved out before the quarter", date(2027, 1, 15))
    items["still_open"] = world.create("Never done", date(2027, 2, 10))
    items["peer"] = world.create("The peer's commitment", date(2027, 3, 15), owner=PEER)
    items["other_team"] = world.create("Another workspace", date(2027, 2, 1), team=OTHER_TEAM)

    world.at(utc(2026, 12, 10, 10)).move(items["moved_in"], date(2027, 1, 20))
    world.at(utc(2026, 12, 15, 10)).status(items["dropped_before"], ActionStatus.DROPPED)
    world.at(utc(2026, 12, 20, 10)).move(items["moved_out_before"], date(2027, 4, 15))

    world.at(utc(2027, 1, 19, 16)).done(items["moved_in"])
    world.at(utc(2027, 1, 31, 16)).done(items["long_kept"])
    # created during the quarter: judged by its first promise (20 March), not the later one
    world.at(utc(2027, 2, 1, 10))
    items["mid_quarter"] = world.create("Created mid-quarter", date(2027, 3, 20))
    world.move(items["moved_out_during"], date(2027, 5, 10))
    world.at(utc(2027, 2, 10, 9)).done(items["early"])
    world.at(utc(2027, 2, 15, 12)).status(items["dropped"], ActionStatus.DROPPED)
    world.at(utc(2027, 2, 20, 9)).done(items["late"])
    world.at(utc(2027, 3, 1, 9)).move(items["mid_quarter"], date(2027, 3, 30))
    world.at(utc(2027, 3, 14, 9)).done(items["peer"], owner=PEER)
    world.at(utc(2027, 3, 14, 9)).done(items["other_team"], team=OTHER_TEAM)
    world.at(utc(2027, 3, 25, 9)).done(items["mid_quarter"])
    world.at(utc(2027, 4, 20, 9)).done(items["moved_out_during"])
    return items


def test_person_quarter_by_hand(world: World) -> None:
    build_quarter(world)
    # short term due in Q1: moved_in (kept), early (kept), late, moved_out_during (judged by 10 March,
    # done 20 April), dropped, mid_quarter (judged by 20 March, done 25th), still_open -> 2 of 7
    # long term: long_kept -> 1 of 1
    assert world.person(2027, 1) == expect(short=(2, 7), long=(1, 1))


def test_commitments_carry_the_date_as_it_stood_when_the_quarter_began(world: World) -> None:
    items = build_quarter(world)
    with world.deps.session_factory() as session:
        found = {c.item_id: c for c in si.commitments(session, team_id=TEAM, year=2027, quarter=1, user_ids=[ME])}
    assert found[items["moved_in"]].due == date(2027, 1, 20)
    assert found[items["moved_out_during"]].due == date(2027, 3, 10)
    assert found[items["mid_quarter"]].due == date(2027, 3, 20)
    assert found[items["long_kept"]].horizon is actions.Horizon.LONG
    assert items["dropped_before"] not in found
    assert items["moved_out_before"] not in found
    assert {item for item, c in found.items() if c.kept} == {items["moved_in"], items["early"], items["long_kept"]}
    assert {item for item, c in found.items() if c.open} == {items["still_open"]}


def test_neighbouring_quarters_by_hand(world: World) -> None:
    build_quarter(world)
    # Q4 2026: moved_in was created during Q4 with 15 December promised, done 19 January -> 0 of 1
    assert world.person(2026, 4) == expect(short=(0, 1), long=(0, 0))
    # Q2 2027: moved_out_during stood at 10 May when Q2 began, done 20 April (kept);
    # moved_out_before is due 15 April and still open -> 1 of 2
    assert world.person(2027, 2) == expect(short=(1, 2), long=(0, 0))
    assert world.person(2027, 3) == expect(short=(0, 0), long=(0, 0))


def test_team_and_workspace_by_hand(world: World) -> None:
    build_quarter(world)
    assert world.team([PEER], 2027, 1) == expect(short=(1, 1), long=(0, 0))
    assert world.team([ME, PEER], 2027, 1) == expect(short=(3, 8), long=(1, 1))
    assert world.team([ME, PEER, ME, "UNOBODY"], 2027, 1) == expect(short=(3, 8), long=(1, 1))
    assert world.team([], 2027, 1) == expect(short=(0, 0), long=(0, 0))
    # the workspace: everyone in it, and nobody from another workspace
    assert world.workspace(2027, 1) == expect(short=(3, 8), long=(1, 1))
    # the other workspace's item was due 1 February and done 14 March: late
    assert world.workspace(2027, 1, team=OTHER_TEAM) == expect(short=(0, 1), long=(0, 0))
    assert [line.percent for line in si_lines(world, [ME, PEER])] == ["38%", "100%", "44%"]


def si_lines(world: World, users: list[str]) -> list[IndexLine]:
    with world.deps.session_factory() as session:
        return si.team_index(session, team_id=TEAM, user_ids=users, year=2027, quarter=1)


def test_quarter_so_far_leaves_out_what_is_due_later_and_what_is_due_today_and_open(world: World) -> None:
    world.at(utc(2026, 12, 1, 10))
    past_kept = world.create("Due in January, done", date(2027, 1, 15))
    world.create("Due in January, open", date(2027, 1, 20))
    today_done = world.create("Due today, done", date(2027, 2, 15))
    world.create("Due today, open", date(2027, 2, 15))
    world.create("Due next month", date(2027, 3, 15))
    world.at(utc(2027, 1, 14, 10)).done(past_kept)
    world.at(utc(2027, 2, 15, 9)).done(today_done)

    assert world.person(2027, 1, until=date(2027, 2, 15)) == expect(short=(2, 3), long=(0, 0))
    assert world.person(2027, 1, until=date(2027, 2, 16)) == expect(short=(2, 4), long=(0, 0))
    assert world.person(2027, 1) == expect(short=(2, 5), long=(0, 0))


def test_done_on_the_due_date_is_judged_by_the_owners_own_date(world: World) -> None:
    with world.deps.session_factory() as session:
        session.add(Person(team_id=TEAM, user_id=ME, tz="America/New_York"))
        session.add(Person(team_id=TEAM, user_id=PEER, tz="Asia/Kolkata"))
        session.commit()
    world.at(utc(2026, 12, 1, 10))
    mine = world.create("Evening finish", date(2027, 2, 15))
    theirs = world.create("Early finish", date(2027, 2, 15), owner=PEER)
    # 03:00 UTC on the 16th is still 22:00 on the 15th in New York: kept
    world.at(utc(2027, 2, 16, 3, 0)).done(mine)
    # 19:00 UTC on the 15th is already 00:30 on the 16th in Kolkata: one day late
    world.at(utc(2027, 2, 15, 19, 0)).done(theirs, owner=PEER)

    assert world.person(2027, 1) == expect(short=(1, 1), long=(0, 0))
    assert world.person(2027, 1, user=PEER) == expect(short=(0, 1), long=(0, 0))
    assert world.workspace(2027, 1) == expect(short=(1, 2), long=(0, 0))


def test_reopened_item_is_no_longer_kept(world: World) -> None:
    world.at(utc(2026, 12, 1, 10))
    item = world.create("Reopened", date(2027, 2, 15))
    world.at(utc(2027, 2, 10, 10)).done(item)
    assert world.person(2027, 1) == expect(short=(1, 1), long=(0, 0))
    world.at(utc(2027, 2, 12, 10)).status(item, ActionStatus.OPEN)  # Reopen
    assert world.person(2027, 1) == expect(short=(0, 1), long=(0, 0))
    world.at(utc(2027, 2, 20, 10)).done(item)
    assert world.person(2027, 1) == expect(short=(0, 1), long=(0, 0))


def test_person_quarters_for_the_command(world: World) -> None:
    build_quarter(world)
    world.at(utc(2027, 5, 12, 10))
    quarters = si.person_quarters(world.deps, team_id=TEAM, user_id=ME)
    assert [(q.label, q.until) for q in quarters] == [
        ("2027 Q2", date(2027, 5, 12)),
        ("2027 Q1", None),
        ("2026 Q4", None),
        ("2026 Q3", None),
    ]
    # Q2 so far: moved_out_before (due 15 April, open); moved_out_during (10 May, kept)
    assert numbers(quarters[0].lines) == expect(short=(1, 2), long=(0, 0))
    assert numbers(quarters[1].lines) == expect(short=(2, 7), long=(1, 1))
    assert numbers(quarters[2].lines) == expect(short=(0, 1), long=(0, 0))
    assert numbers(quarters[3].lines) == expect(short=(0, 0), long=(0, 0))
