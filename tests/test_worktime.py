"""Working time, by hand: weekends, holidays, pauses, after hours and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.worktime import (
    WorkCalendar,
    add_working_days,
    at_local,
    calendar_from,
    iso_week,
    monday_of,
    morning_of,
    next_working_moment,
    previous_quarter,
    quarter_bounds,
    quarter_of,
    zone,
)
from tests.hypothesis_profiles import examples

UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
STANDARD = WorkCalendar()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%a %Y-%m-%d %H:%M")


# -- next_working_moment ----------------------------------------------------------------------------


def test_inside_working_hours_is_now() -> None:
    moment = utc(2027, 1, 6, 10, 17)  # a Wednesday
    assert next_working_moment(moment, UTC_ZONE, STANDARD) == moment


def test_before_work_waits_for_nine() -> None:
    assert next_working_moment(utc(2027, 1, 6, 6, 0), UTC_ZONE, STANDARD) == utc(2027, 1, 6, 9, 0)


def test_the_end_of_work_is_outside_it() -> None:
    # 17:00 sharp is after hours: the next morning
    assert next_working_moment(utc(2027, 1, 6, 17, 0), UTC_ZONE, STANDARD) == utc(2027, 1, 7, 9, 0)
    assert next_working_moment(utc(2027, 1, 6, 16, 59), UTC_ZONE, STANDARD) == utc(2027, 1, 6, 16, 59)


def test_friday_evening_waits_for_monday() -> None:
    friday_evening = utc(2027, 1, 8, 18, 30)
    assert local(next_working_moment(friday_evening, UTC_ZONE, STANDARD), UTC_ZONE) == "Mon 2027-01-11 09:00"


def test_weekend_waits_for_monday_in_the_persons_zone() -> None:
    # Sunday 23:30 UTC is already Monday 00:30 in Berlin: the wait ends at 09:00 Berlin (08:00 UTC)
    assert next_working_moment(utc(2027, 1, 10, 23, 30), BERLIN, STANDARD) == utc(2027, 1, 11, 8, 0)
    # Friday 16:30 UTC is 17:30 in Berlin, after hours there
    assert local(next_working_moment(utc(2027, 1, 8, 16, 30), BERLIN, STANDARD), BERLIN) == "Mon 2027-01-11 09:00"


def test_holidays_are_skipped() -> None:
    calendar = WorkCalendar(holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
    # Thursday 24 December after hours -> Friday 25 (holiday) -> weekend -> Monday 28 (holiday) -> Tuesday 29
    moment = next_working_moment(utc(2026, 12, 24, 18, 0), UTC_ZONE, calendar)
    assert local(moment, UTC_ZONE) == "Tue 2026-12-29 09:00"


def test_a_pause_holds_until_the_day_after_it() -> None:
    # paused until Wednesday 13 January included: Thursday 09:00
    moment = next_working_moment(utc(2027, 1, 11, 10, 0), UTC_ZONE, STANDARD, paused_until=date(2027, 1, 13))
    assert local(moment, UTC_ZONE) == "Thu 2027-01-14 09:00"


def test_a_pause_ending_on_friday_waits_for_monday_and_its_holiday() -> None:
    calendar = WorkCalendar(holidays=frozenset({date(2027, 1, 18)}))
    moment = next_working_moment(utc(2027, 1, 12, 10, 0), NEW_YORK, calendar, paused_until=date(2027, 1, 15))
    assert local(moment, NEW_YORK) == "Tue 2027-01-19 09:00"


def test_a_pause_in_the_past_changes_nothing() -> None:
    moment = utc(2027, 1, 6, 10, 0)
    assert next_working_moment(moment, UTC_ZONE, STANDARD, paused_until=date(2027, 1, 5)) == moment


def test_custom_days_and_hours() -> None:
    # Sunday to Thursday, 08:30 to 16:30
    calendar = calendar_from("7,1,2,3,4", time(8, 30), time(16, 30), [])
    thursday_evening = utc(2027, 1, 7, 16, 30)
    assert local(next_working_moment(thursday_evening, UTC_ZONE, calendar), UTC_ZONE) == "Sun 2027-01-10 08:30"


def test_no_working_day_at_all_is_an_error_not_a_hang() -> None:
    calendar = WorkCalendar(work_days=frozenset())
    with pytest.raises(ValueError, match="no working"):
        next_working_moment(utc(2027, 1, 6), UTC_ZONE, calendar)


# -- daylight saving and unusual offsets -------------------------------------------------------------


def test_new_york_nine_oclock_moves_in_utc_across_the_march_2027_change() -> None:
    # the change is on Sunday 14 March 2027
    assert morning_of(date(2027, 3, 8), NEW_YORK, STANDARD) == utc(2027, 3, 8, 14, 0)
    assert morning_of(date(2027, 3, 15), NEW_YORK, STANDARD) == utc(2027, 3, 15, 13, 0)
    # Friday evening before the change waits over the changing weekend to 09:00 EDT
    assert next_working_moment(utc(2027, 3, 12, 23, 0), NEW_YORK, STANDARD) == utc(2027, 3, 15, 13, 0)


def test_new_york_november_2027_change_back() -> None:
    # the change is on Sunday 7 November 2027
    assert morning_of(date(2027, 11, 5), NEW_YORK, STANDARD) == utc(2027, 11, 5, 13, 0)
    assert morning_of(date(2027, 11, 8), NEW_YORK, STANDARD) == utc(2027, 11, 8, 14, 0)


def test_lord_howe_shifts_by_half_an_hour() -> None:
    # daylight time (+11:00) ends on Sunday 4 April 2027; standard time is +10:30
    assert morning_of(date(2027, 3, 29), LORD_HOWE, STANDARD) == utc(2027, 3, 28, 22, 0)
    assert morning_of(date(2027, 4, 5), LORD_HOWE, STANDARD) == utc(2027, 4, 4, 22, 30)
    # and begins again on Sunday 3 October 2027
    assert morning_of(date(2027, 9, 27), LORD_HOWE, STANDARD) == utc(2027, 9, 26, 22, 30)
    assert morning_of(date(2027, 10, 4), LORD_HOWE, STANDARD) == utc(2027, 10, 3, 22, 0)


def test_lord_howe_local_date_is_ahead_of_utc() -> None:
    # Sunday 22:45 UTC is already Monday 09:15 at Lord Howe (+10:30): inside working hours
    moment = utc(2027, 4, 4, 22, 45)
    assert next_working_moment(moment, LORD_HOWE, STANDARD) == moment
    # Sunday 22:15 UTC is Monday 08:45 there: wait a quarter of an hour
    assert next_working_moment(utc(2027, 4, 4, 22, 15), LORD_HOWE, STANDARD) == utc(2027, 4, 4, 22, 30)


def test_a_time_skipped_by_the_change_maps_forward() -> None:
    # 02:00-02:30 does not exist at Lord Howe on 3 October 2027; 02:15 becomes 02:45 daylight time
    moment = at_local(date(2027, 10, 3), time(2, 15), LORD_HOWE)
    assert local(moment, LORD_HOWE) == "Sun 2027-10-03 02:45"
    # 02:30 on 14 March 2027 does not exist in New York: 03:30 daylight time
    assert local(at_local(date(2027, 3, 14), time(2, 30), NEW_YORK), NEW_YORK) == "Sun 2027-03-14 03:30"


def test_kolkata_is_half_an_hour_off_utc() -> None:
    assert morning_of(date(2027, 3, 15), KOLKATA, STANDARD) == utc(2027, 3, 15, 3, 30)
    # 12:00 UTC is 17:30 in Kolkata: after hours, so the next morning 03:30 UTC
    assert next_working_moment(utc(2027, 3, 15, 12, 0), KOLKATA, STANDARD) == utc(2027, 3, 16, 3, 30)


def test_unknown_zone_is_utc() -> None:
    assert zone("Mars/Olympus_Mons") == UTC_ZONE
    assert zone(None) == UTC_ZONE
    assert zone("") == UTC_ZONE


ZONES = [UTC_ZONE, NEW_YORK, BERLIN, LORD_HOWE, KOLKATA, ZoneInfo("Pacific/Chatham"), ZoneInfo("Pacific/Kiritimati")]


@settings(max_examples=examples(300))
@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 800),
    tz=st.sampled_from(ZONES),
    holiday_offsets=st.sets(st.integers(min_value=0, max_value=60), max_size=6),
    pause_days=st.one_of(st.none(), st.integers(min_value=-5, max_value=40)),
)
def test_next_working_moment_is_the_first_working_minute(
    minutes: int, tz: ZoneInfo, holiday_offsets: set[int], pause_days: int | None
) -> None:
    moment = utc(2026, 10, 1) + timedelta(minutes=minutes)
    today = moment.astimezone(tz).date()
    calendar = WorkCalendar(holidays=frozenset(today + timedelta(days=n) for n in holiday_offsets))
    paused_until = None if pause_days is None else today + timedelta(days=pause_days)

    found = next_working_moment(moment, tz, calendar, paused_until=paused_until)

    there = found.astimezone(tz)
    assert found >= moment
    assert calendar.is_working_day(there.date())
    assert calendar.start <= there.time() < calendar.end
    assert paused_until is None or there.date() > paused_until
    if found != moment:
        # nothing earlier was working time: it is the start of a working day
        assert there.time() == calendar.start


# -- add_working_days -------------------------------------------------------------------------------


def test_add_working_days_skips_the_weekend() -> None:
    thursday = utc(2027, 1, 7, 15, 20)
    assert local(add_working_days(thursday, 2, UTC_ZONE, STANDARD), UTC_ZONE) == "Mon 2027-01-11 15:20"


def test_add_working_days_skips_holidays() -> None:
    calendar = WorkCalendar(holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 28)}))
    wednesday = utc(2026, 12, 23, 10, 0)
    # Thu 24, Fri 25 holidays, weekend, Mon 28 holiday: Tue 29 and Wed 30
    assert local(add_working_days(wednesday, 2, UTC_ZONE, calendar), UTC_ZONE) == "Wed 2026-12-30 10:00"


def test_add_working_days_from_a_saturday() -> None:
    saturday = utc(2027, 1, 9, 11, 0)
    assert local(add_working_days(saturday, 1, UTC_ZONE, STANDARD), UTC_ZONE) == "Mon 2027-01-11 11:00"
    assert add_working_days(saturday, 0, UTC_ZONE, STANDARD) == saturday


def test_add_working_days_keeps_the_local_time_across_the_dst_change() -> None:
    friday = datetime(2027, 3, 12, 10, 0, tzinfo=NEW_YORK).astimezone(UTC)
    later = add_working_days(friday, 1, NEW_YORK, STANDARD)
    assert local(later, NEW_YORK) == "Mon 2027-03-15 10:00"
    assert later - friday == timedelta(days=3) - timedelta(hours=1)


def test_add_working_days_counts_the_persons_own_days() -> None:
    # Friday 23:30 UTC is already Saturday in Kolkata: two working days later is Tuesday there
    moment = utc(2027, 1, 8, 23, 30)
    assert local(add_working_days(moment, 2, KOLKATA, STANDARD), KOLKATA) == "Tue 2027-01-12 05:00"


# -- weeks and quarters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 1, 1), (2027, 1)),
        (date(2027, 3, 31), (2027, 1)),
        (date(2027, 4, 1), (2027, 2)),
        (date(2027, 6, 30), (2027, 2)),
        (date(2027, 7, 1), (2027, 3)),
        (date(2027, 9, 30), (2027, 3)),
        (date(2027, 10, 1), (2027, 4)),
        (date(2027, 12, 31), (2027, 4)),
    ],
)
def test_quarter_of(day: date, expected: tuple[int, int]) -> None:
    assert quarter_of(day) == expected


def test_quarter_bounds() -> None:
    assert quarter_bounds(2027, 1) == (date(2027, 1, 1), date(2027, 3, 31))
    assert quarter_bounds(2027, 2) == (date(2027, 4, 1), date(2027, 6, 30))
    assert quarter_bounds(2027, 3) == (date(2027, 7, 1), date(2027, 9, 30))
    assert quarter_bounds(2027, 4) == (date(2027, 10, 1), date(2027, 12, 31))
    assert quarter_bounds(2028, 1) == (date(2028, 1, 1), date(2028, 3, 31))  # a leap year changes nothing here


def test_quarters_tile_the_years() -> None:
    day = date(2026, 1, 1)
    quarter = (2026, 1)
    for _ in range(12):
        first, last = quarter_bounds(*quarter)
        assert first == day
        assert quarter_of(first) == quarter_of(last) == quarter
        day = last + timedelta(days=1)
        following = quarter_of(day)
        assert previous_quarter(*following) == quarter
        quarter = following


def test_previous_quarter_wraps_the_year() -> None:
    assert previous_quarter(2027, 1) == (2026, 4)
    assert previous_quarter(2027, 3) == (2027, 2)


def test_weeks() -> None:
    assert monday_of(date(2027, 1, 10)) == date(2027, 1, 4)
    assert monday_of(date(2027, 1, 4)) == date(2027, 1, 4)
    # Sunday 3 January 2027 belongs to ISO week 53 of 2026
    assert iso_week(utc(2027, 1, 3, 12), UTC_ZONE) == "2026-W53"
    # ...but Sunday 23:30 UTC is already Monday in Kolkata
    assert iso_week(utc(2027, 1, 3, 23, 30), KOLKATA) == "2027-W01"


def test_calendar_from_workspace_columns() -> None:
    calendar = calendar_from("1,2,3,4", time(8, 0), time(16, 0), [date(2027, 1, 6)])
    assert calendar.work_days == frozenset({1, 2, 3, 4})
    assert not calendar.is_working_day(date(2027, 1, 8))  # Friday
    assert not calendar.is_working_day(date(2027, 1, 6))  # the holiday
    assert calendar.next_working_day(date(2027, 1, 8)) == date(2027, 1, 11)
    # an empty column falls back to Monday to Friday
    assert calendar_from("", time(9, 0), time(17, 0), []).work_days == frozenset({1, 2, 3, 4, 5})
