"""Pauses, working time and holidays: the services on both databases, and what the engine then reads."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from bot.deps import Deps
from bot.engine.directory import Directory
from bot.services import people
from bot.services.people import SettingsProblem, WorkTimeChange
from bot.worktime import WorkCalendar, morning_of
from storage.models import Holiday, Person, Workspace
from tests.engine_harness import SimClock, utc

TEAM = "T111"
OTHER = "T222"
ME = "UME"


@pytest.fixture
def sim(deps: Deps) -> Deps:
    """The services with a clock at Wednesday 4 November 2026, 10:00 UTC."""
    return Deps(settings=deps.settings, session_factory=deps.session_factory, clock=SimClock(utc(2026, 11, 4, 10)))


def person_row(deps: Deps, user: str = ME, team: str = TEAM) -> Person | None:
    with deps.session_factory() as session:
        return session.scalars(select(Person).where(Person.team_id == team, Person.user_id == user)).first()


# -- pause and resume -----------------------------------------------------------------------------


def test_pause_until_a_date_is_kept_and_read_by_the_engine(sim: Deps) -> None:
    assert people.get_pause(sim, team_id=TEAM, user_id=ME) is None
    assert people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 12, 31)) == date(2026, 12, 31)
    assert people.get_pause(sim, team_id=TEAM, user_id=ME) == date(2026, 12, 31)
    row = person_row(sim)
    assert row is not None and row.paused_until == date(2026, 12, 31) and row.tz is None
    # the engine reads the pause once it knows the person's time zone
    with sim.session_factory() as session:
        stored = session.scalars(select(Person)).one()
        stored.tz = "Europe/Berlin"
        session.commit()
        found = Directory(session).person(TEAM, ME)
    assert found is not None and found.paused_until == date(2026, 12, 31)
    # nudges wait for the first working morning after the pause: Friday 1 January 2027 at 09:00 Berlin...
    at = morning_of(date(2026, 11, 5), found.tz, WorkCalendar(), paused_until=found.paused_until)
    assert at == utc(2027, 1, 1, 8, 0)
    # ...or, with New Year's Day a holiday of the workspace, Monday 4 January
    people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2027, 1, 1), name="New Year", today=date(2026, 11, 4))
    with sim.session_factory() as session:
        calendar = Directory(session).calendar(TEAM)
    assert morning_of(date(2026, 11, 5), found.tz, calendar, paused_until=found.paused_until) == utc(2027, 1, 4, 8)


def test_pausing_again_replaces_the_date_and_does_not_add_a_row(sim: Deps) -> None:
    people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 12, 31))
    people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 11, 20))
    assert people.get_pause(sim, team_id=TEAM, user_id=ME) == date(2026, 11, 20)
    with sim.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 1


def test_pause_keeps_what_the_engine_knows(sim: Deps) -> None:
    with sim.session_factory() as session:
        session.add(Person(team_id=TEAM, user_id=ME, tz="Asia/Kolkata", tz_checked_at=utc(2026, 11, 1)))
        session.commit()
    people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 11, 30))
    row = person_row(sim)
    assert row is not None and row.tz == "Asia/Kolkata" and row.tz_checked_at == utc(2026, 11, 1)


def test_pause_today_is_allowed_and_yesterday_is_not(sim: Deps) -> None:
    assert people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 11, 4)) == date(2026, 11, 4)
    with pytest.raises(SettingsProblem, match="in the past"):
        people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 11, 3))
    assert people.get_pause(sim, team_id=TEAM, user_id=ME) == date(2026, 11, 4)


def test_pause_more_than_a_year_ahead_is_refused(sim: Deps) -> None:
    latest = date(2026, 11, 4) + timedelta(days=people.PAUSE_MAX_DAYS)
    assert people.pause_until(sim, team_id=TEAM, user_id=ME, day=latest) == latest
    with pytest.raises(SettingsProblem, match="more than a year ahead") as refused:
        people.pause_until(sim, team_id=TEAM, user_id=ME, day=latest + timedelta(days=1))
    assert latest.isoformat() in str(refused.value)


def test_past_is_judged_by_the_persons_own_date(sim: Deps) -> None:
    # 10:00 UTC on 4 November is midnight starting 5 November in Kiritimati (+14)
    with sim.session_factory() as session:
        session.add(Person(team_id=TEAM, user_id=ME, tz="Pacific/Kiritimati"))
        session.commit()
    with pytest.raises(SettingsProblem, match="in the past"):
        people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 11, 4))
    assert people.today_of(sim, team_id=TEAM, user_id=ME) == date(2026, 11, 5)


def test_a_finished_pause_is_no_pause(sim: Deps) -> None:
    people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 11, 6))
    assert isinstance(sim.clock, SimClock)
    sim.clock.now = utc(2026, 11, 7, 10)
    assert people.get_pause(sim, team_id=TEAM, user_id=ME) is None
    assert people.resume(sim, team_id=TEAM, user_id=ME) is None


def test_resume_ends_the_pause(sim: Deps) -> None:
    assert people.resume(sim, team_id=TEAM, user_id=ME) is None  # nothing to resume, no row needed
    assert person_row(sim) is None
    people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 12, 31))
    assert people.resume(sim, team_id=TEAM, user_id=ME) == date(2026, 12, 31)
    assert people.get_pause(sim, team_id=TEAM, user_id=ME) is None
    row = person_row(sim)
    assert row is not None and row.paused_until is None


def test_pauses_belong_to_one_workspace(sim: Deps) -> None:
    people.pause_until(sim, team_id=TEAM, user_id=ME, day=date(2026, 12, 31))
    assert people.get_pause(sim, team_id=OTHER, user_id=ME) is None


# -- working days and hours -----------------------------------------------------------------------


def test_default_work_time_is_monday_to_friday_nine_to_five(sim: Deps) -> None:
    current = people.get_work_time(sim, team_id=TEAM)
    assert (current.days, current.start, current.end) == (frozenset({1, 2, 3, 4, 5}), time(9), time(17))


def test_set_work_time_is_kept_and_read_by_the_engine(sim: Deps) -> None:
    people.set_work_time(sim, team_id=TEAM, by="UADMIN", days={7, 1, 2, 3, 4}, start=time(8, 30), end=time(16, 30))
    current = people.get_work_time(sim, team_id=TEAM)
    assert (current.days, current.start, current.end) == (frozenset({1, 2, 3, 4, 7}), time(8, 30), time(16, 30))
    with sim.session_factory() as session:
        assert session.get(Workspace, TEAM) is not None
        calendar = Directory(session).calendar(TEAM)
        assert calendar == WorkCalendar(frozenset({1, 2, 3, 4, 7}), time(8, 30), time(16, 30), frozenset())
        assert Directory(session).calendar(OTHER) == WorkCalendar()
    # changing it again updates the one row
    people.set_work_time(sim, team_id=TEAM, by="UADMIN", days={1, 2, 3, 4, 5}, start=time(9), end=time(17, 30))
    with sim.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Workspace)) == 1
        assert Directory(session).calendar(TEAM).end == time(17, 30)


@pytest.mark.parametrize(
    ("days", "start", "end", "message"),
    [
        (set(), time(9), time(17), "at least one working day"),
        ({1, 2}, time(17), time(9), "start before it ends"),
        ({1, 2}, time(9), time(9), "start before it ends"),
        ({0, 1}, time(9), time(17), "ISO weekdays"),
    ],
)
def test_impossible_work_time_is_refused(sim: Deps, days: set[int], start: time, end: time, message: str) -> None:
    with pytest.raises(SettingsProblem, match=message):
        people.set_work_time(sim, team_id=TEAM, by="UADMIN", days=days, start=start, end=end)
    with sim.session_factory() as session:
        assert session.get(Workspace, TEAM) is None


def test_change_keeps_what_was_not_mentioned(sim: Deps) -> None:
    people.change_work_time(sim, team_id=TEAM, by="UADMIN", change=WorkTimeChange(frozenset({1, 2, 3, 4}), None, None))
    people.change_work_time(sim, team_id=TEAM, by="UADMIN", change=WorkTimeChange(None, time(8), time(16)))
    current = people.get_work_time(sim, team_id=TEAM)
    assert (current.days, current.start, current.end) == (frozenset({1, 2, 3, 4}), time(8), time(16))
    with pytest.raises(SettingsProblem, match="start before it ends"):
        people.change_work_time(sim, team_id=TEAM, by="UADMIN", change=WorkTimeChange(None, time(16, 30), None))


# -- holidays -------------------------------------------------------------------------------------


def test_holidays_add_list_remove(sim: Deps) -> None:
    today = date(2026, 11, 4)
    people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 12, 25), name="  Christmas   Day ", today=today)
    people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 12, 24), name=None, today=today)
    people.add_holiday(sim, team_id=OTHER, by="UADMIN", day=date(2026, 12, 25), name="Theirs", today=today)
    assert people.list_holidays(sim, team_id=TEAM) == [
        people.HolidayCard(date(2026, 12, 24), None),
        people.HolidayCard(date(2026, 12, 25), "Christmas Day"),
    ]
    with sim.session_factory() as session:
        assert Directory(session).calendar(TEAM).holidays == frozenset({date(2026, 12, 24), date(2026, 12, 25)})
    removed = people.remove_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 12, 25))
    assert removed == people.HolidayCard(date(2026, 12, 25), "Christmas Day")
    assert [card.day for card in people.list_holidays(sim, team_id=TEAM)] == [date(2026, 12, 24)]
    assert [card.name for card in people.list_holidays(sim, team_id=OTHER)] == ["Theirs"]


def test_duplicate_holiday_is_refused_nicely(sim: Deps) -> None:
    today = date(2026, 11, 4)
    people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 12, 25), name="Christmas", today=today)
    with pytest.raises(SettingsProblem, match=r"Friday 25 December 2026 is already a holiday \(Christmas\)"):
        people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 12, 25), name="Again", today=today)
    with sim.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Holiday)) == 1


def test_holiday_problems(sim: Deps) -> None:
    today = date(2026, 11, 4)
    with pytest.raises(SettingsProblem, match="already passed"):
        people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 11, 3), name=None, today=today)
    with pytest.raises(SettingsProblem, match="more than 3 years ahead"):
        people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2029, 11, 5), name=None, today=today)
    with pytest.raises(SettingsProblem, match="100 characters"):
        people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 12, 25), name="x" * 101, today=today)
    with pytest.raises(SettingsProblem, match="not a holiday"):
        people.remove_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 12, 25))
    assert people.list_holidays(sim, team_id=TEAM) == []


def test_list_from_a_day_leaves_out_past_holidays(sim: Deps) -> None:
    people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 11, 5), name="Soon", today=date(2026, 11, 4))
    people.add_holiday(sim, team_id=TEAM, by="UADMIN", day=date(2026, 12, 25), name="Later", today=date(2026, 11, 4))
    assert [c.name for c in people.list_holidays(sim, team_id=TEAM, since=date(2026, 11, 6))] == ["Later"]


# -- parsing what people type (pure) --------------------------------------------------------------

TODAY = date(2026, 11, 4)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-12-31", date(2026, 12, 31)),
        ("2027-1-5", date(2027, 1, 5)),
        ("today", TODAY),
        ("Tomorrow", date(2026, 11, 5)),
        ("yesterday", date(2026, 11, 3)),
        ("2028-02-29", date(2028, 2, 29)),
    ],
)
def test_parse_day(typed: str, expected: date) -> None:
    assert people.parse_day(typed, TODAY) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-13-45", "not a day of the calendar"),
        ("2027-02-29", "not a day of the calendar"),
        ("nope", "not a date I can read"),
        ("31/12/2026", "not a date I can read"),
        ("", "YYYY-MM-DD"),
        ("<!channel>", "&lt;!channel&gt;"),
    ],
)
def test_parse_day_problems(typed: str, message: str) -> None:
    with pytest.raises(SettingsProblem, match=message):
        people.parse_day(typed, TODAY)


@pytest.mark.parametrize(
    ("typed", "days", "start", "end"),
    [
        ("mon-fri 09:00-17:00", {1, 2, 3, 4, 5}, time(9), time(17)),
        ("mon,tue,wed,thu,fri 08:30-16:30", {1, 2, 3, 4, 5}, time(8, 30), time(16, 30)),
        ("mon-thu 9:00-17:00", {1, 2, 3, 4}, time(9), time(17)),
        ("sun-thu 8:00 - 16:00", {7, 1, 2, 3, 4}, time(8), time(16)),
        ("Monday, Wednesday, Friday 10:00–15:00", {1, 3, 5}, time(10), time(15)),
        ("09:00-17:00 mon-fri", {1, 2, 3, 4, 5}, time(9), time(17)),
        ("fri-mon", {5, 6, 7, 1}, None, None),
        ("mon tue", {1, 2}, None, None),
        ("07:45-15:15", None, time(7, 45), time(15, 15)),
    ],
)
def test_parse_work_time(typed: str, days: set[int] | None, start: time | None, end: time | None) -> None:
    change = people.parse_work_time(typed)
    assert change.days == (frozenset(days) if days is not None else None)
    assert (change.start, change.end) == (start, end)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("xyz", "`xyz` is not a day of the week"),
        ("mo-fr 09:00-17:00", "`mo` is not a day of the week"),
        ("mon-fri 9-17", "24-hour clock"),
        ("mon-fri 25:00-26:00", "not a time of day"),
        ("mon-fri 09:60-17:00", "not a time of day"),
        ("mon-wed-fri", "not a range of days"),
        ("mon- 09:00-17:00", "a first and a last day"),
        ("", "Say which days and hours"),
    ],
)
def test_parse_work_time_problems(typed: str, message: str) -> None:
    with pytest.raises(SettingsProblem, match=message):
        people.parse_work_time(typed)
