"""Meeting schedules, by hand: weekly, fortnightly and monthly series, one-off meetings, DST changes, checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.meetings.schedule import (
    LAST,
    Occurrence,
    Repeat,
    Schedule,
    ScheduleProblem,
    check_schedule,
    describe,
    monthly_day,
    monthly_name,
    monthly_position,
    next_occurrence,
    occasion_key,
    occurrences,
    prompt_at,
    wall_time_problem,
)
from tests.hypothesis_profiles import examples

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")
SANTIAGO = ZoneInfo("America/Santiago")

MON, TUE, WED, THU, FRI, SAT, SUN = range(1, 8)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(start: date, days: set[int], at: time, tz: str) -> Schedule:
    return Schedule(Repeat.WEEKLY, start, frozenset(days), at, tz)


def fortnightly(start: date, days: set[int], at: time, tz: str) -> Schedule:
    return Schedule(Repeat.FORTNIGHTLY, start, frozenset(days), at, tz)


def monthly(start: date, at: time, tz: str, days: set[int] | None = None) -> Schedule:
    return Schedule(Repeat.MONTHLY, start, frozenset(days or set()), at, tz)


def once(day: date, at: time, tz: str) -> Schedule:
    return Schedule(Repeat.ONCE, day, frozenset(), at, tz)


def starts(found: list[Occurrence]) -> list[datetime]:
    return [occ.starts_at for occ in found]


def days(found: list[Occurrence]) -> list[date]:
    return [occ.local_date for occ in found]


# -- weekly series across daylight-saving changes ----------------------------------------------------


def test_berlin_tuesday_ten_oclock_across_the_march_2027_change() -> None:
    # Berlin moves from +01:00 to +02:00 on Sunday 28 March 2027
    meeting = weekly(date(2027, 1, 5), {TUE}, time(10, 0), "Europe/Berlin")
    found = occurrences(meeting, after=utc(2027, 3, 15), until=utc(2027, 4, 7))
    assert days(found) == [date(2027, 3, 16), date(2027, 3, 23), date(2027, 3, 30), date(2027, 4, 6)]
    assert starts(found) == [utc(2027, 3, 16, 9), utc(2027, 3, 23, 9), utc(2027, 3, 30, 8), utc(2027, 4, 6, 8)]
    assert all(occ.starts_at.astimezone(BERLIN).time() == time(10, 0) for occ in found)


def test_new_york_sunday_meeting_on_the_march_2027_change_day() -> None:
    # clocks jump 02:00 -> 03:00 on Sunday 14 March 2027: 10:00 EST is 15:00 UTC, 10:00 EDT is 14:00 UTC
    meeting = weekly(date(2027, 1, 3), {SUN}, time(10, 0), "America/New_York")
    found = occurrences(meeting, after=utc(2027, 3, 1), until=utc(2027, 3, 22))
    assert starts(found) == [utc(2027, 3, 7, 15), utc(2027, 3, 14, 14), utc(2027, 3, 21, 14)]


def test_new_york_sunday_meeting_on_the_november_2027_change_day() -> None:
    # clocks go back 02:00 -> 01:00 on Sunday 7 November 2027
    meeting = weekly(date(2027, 1, 3), {SUN}, time(10, 0), "America/New_York")
    found = occurrences(meeting, after=utc(2027, 10, 25), until=utc(2027, 11, 15))
    assert days(found) == [date(2027, 10, 31), date(2027, 11, 7), date(2027, 11, 14)]
    assert starts(found) == [utc(2027, 10, 31, 14), utc(2027, 11, 7, 15), utc(2027, 11, 14, 15)]


def test_lord_howe_half_hour_shifts_in_april_and_october() -> None:
    # +11:00 until Sunday 4 April 2027, then +10:30 until Sunday 3 October 2027, then +11:00 again
    meeting = weekly(date(2027, 1, 4), {MON}, time(9, 0), "Australia/Lord_Howe")
    april = occurrences(meeting, after=utc(2027, 3, 27), until=utc(2027, 4, 10))
    assert days(april) == [date(2027, 3, 29), date(2027, 4, 5)]
    assert starts(april) == [utc(2027, 3, 28, 22, 0), utc(2027, 4, 4, 22, 30)]
    october = occurrences(meeting, after=utc(2027, 9, 25), until=utc(2027, 10, 10))
    assert days(october) == [date(2027, 9, 27), date(2027, 10, 4)]
    assert starts(october) == [utc(2027, 9, 26, 22, 30), utc(2027, 10, 3, 22, 0)]


def test_kolkata_has_no_dst_and_its_local_date_runs_ahead_of_utc() -> None:
    # +05:30 all year: a Monday 05:00 meeting starts at 23:30 UTC on the Sunday before
    meeting = weekly(date(2027, 1, 4), {MON}, time(5, 0), "Asia/Kolkata")
    found = occurrences(meeting, after=utc(2027, 3, 21, 23, 0), until=utc(2027, 11, 9))
    assert len(found) == 34  # Mondays 22 March .. 8 November 2027, 231 days = 33 weeks apart
    assert all(occ.starts_at.time() == time(23, 30) for occ in found)
    assert found[0] == Occurrence(date(2027, 3, 22), utc(2027, 3, 21, 23, 30))
    assert occasion_key(found[0]) == "2027-03-22"


def test_several_weekdays_come_in_order() -> None:
    meeting = weekly(date(2027, 1, 1), {THU, TUE}, time(10, 0), "Europe/Berlin")
    found = occurrences(meeting, after=utc(2027, 1, 11), until=utc(2027, 1, 22))
    assert days(found) == [date(2027, 1, 12), date(2027, 1, 14), date(2027, 1, 19), date(2027, 1, 21)]


# -- window bounds and the start of a series ---------------------------------------------------------


def test_after_is_exclusive_and_until_inclusive() -> None:
    meeting = weekly(date(2027, 1, 5), {TUE}, time(10, 0), "Europe/Berlin")
    meeting_time = utc(2027, 1, 12, 9)  # Tuesday 12 January, 10:00 Berlin
    assert occurrences(meeting, after=meeting_time, until=meeting_time + timedelta(days=1)) == []
    assert starts(occurrences(meeting, after=meeting_time - timedelta(minutes=1), until=meeting_time)) == [meeting_time]
    assert occurrences(meeting, after=meeting_time, until=meeting_time) == []
    assert occurrences(meeting, after=meeting_time, until=meeting_time - timedelta(days=9)) == []


def test_nothing_before_the_series_starts() -> None:
    # starts on Wednesday 13 January 2027: Tuesday 12 January is not a meeting, Tuesday 19 is the first
    meeting = weekly(date(2027, 1, 13), {TUE}, time(10, 0), "Europe/Berlin")
    assert occurrences(meeting, after=utc(2026, 12, 1), until=utc(2027, 1, 13)) == []
    assert days(occurrences(meeting, after=utc(2026, 12, 1), until=utc(2027, 1, 27))) == [
        date(2027, 1, 19),
        date(2027, 1, 26),
    ]
    assert next_occurrence(meeting, after=utc(2020, 1, 1)) == Occurrence(date(2027, 1, 19), utc(2027, 1, 19, 9))


def test_the_start_day_itself_counts() -> None:
    meeting = weekly(date(2027, 1, 12), {TUE}, time(10, 0), "Europe/Berlin")
    assert days(occurrences(meeting, after=utc(2027, 1, 1), until=utc(2027, 1, 20)))[0] == date(2027, 1, 12)


def test_a_series_started_long_ago_jumps_to_the_window() -> None:
    meeting = weekly(date(1990, 1, 2), {TUE}, time(10, 0), "Europe/Berlin")
    found = occurrences(meeting, after=utc(2027, 1, 11), until=utc(2027, 1, 20))
    assert days(found) == [date(2027, 1, 12), date(2027, 1, 19)]


def test_naive_moments_are_refused() -> None:
    meeting = weekly(date(2027, 1, 5), {TUE}, time(10, 0), "Europe/Berlin")
    with pytest.raises(ValueError, match="timezone-aware"):
        occurrences(meeting, after=datetime(2027, 1, 1), until=utc(2027, 2, 1))


# -- fortnightly series ------------------------------------------------------------------------------


def test_fortnightly_weeks_a_and_b_from_the_start() -> None:
    # week A is the week of Monday 2 March 2026; New York moves to EDT on Sunday 8 March 2026
    meeting = fortnightly(date(2026, 3, 2), {MON}, time(9, 30), "America/New_York")
    found = occurrences(meeting, after=utc(2026, 3, 1), until=utc(2026, 4, 14))
    assert days(found) == [date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 30), date(2026, 4, 13)]
    assert starts(found)[:2] == [utc(2026, 3, 2, 14, 30), utc(2026, 3, 16, 13, 30)]


def test_a_window_starting_in_a_b_week() -> None:
    meeting = fortnightly(date(2026, 3, 2), {MON}, time(9, 30), "America/New_York")
    # Monday 9 March is week B: the window's first meeting is Monday 16 March (week A again)
    assert days(occurrences(meeting, after=utc(2026, 3, 9), until=utc(2026, 3, 24))) == [date(2026, 3, 16)]
    assert occurrences(meeting, after=utc(2026, 3, 3), until=utc(2026, 3, 15)) == []
    assert next_occurrence(meeting, after=utc(2026, 3, 3)) == Occurrence(date(2026, 3, 16), utc(2026, 3, 16, 13, 30))


def test_fortnightly_starting_mid_week() -> None:
    # starts Wednesday 4 March 2026: Monday 2 March (week A, before the start) is not a meeting
    meeting = fortnightly(date(2026, 3, 4), {MON, THU}, time(9, 0), "Europe/Berlin")
    found = occurrences(meeting, after=utc(2026, 2, 1), until=utc(2026, 3, 31))
    assert days(found) == [date(2026, 3, 5), date(2026, 3, 16), date(2026, 3, 19), date(2026, 3, 30)]


def test_a_fortnightly_series_started_two_years_earlier() -> None:
    # week A is the week of Monday 1 January 2024. Monday 29 December 2025 is 728 days = 104 weeks later
    # (week A), Monday 5 January 2026 is 105 weeks later (week B), Monday 12 January 2026 is 106 (week A)
    assert (date(2025, 12, 29) - date(2024, 1, 1)).days == 104 * 7
    assert (date(2026, 1, 5) - date(2024, 1, 1)).days == 105 * 7
    meeting = fortnightly(date(2024, 1, 4), {THU}, time(15, 0), "Europe/Berlin")
    found = occurrences(meeting, after=utc(2026, 1, 1), until=utc(2026, 2, 1))
    assert days(found) == [date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 29)]
    assert starts(found) == [utc(2026, 1, 1, 14), utc(2026, 1, 15, 14), utc(2026, 1, 29, 14)]


def test_fortnightly_parity_counts_elapsed_weeks_across_a_53_week_year() -> None:
    # 2026 has 53 ISO weeks. A series from Monday 5 January 2026 (2026-W02) meets in W02, W04, .. W52
    # (Monday 21 December), then two weeks later on Monday 4 January 2027, which is 2027-W01: in 2027
    # the meeting weeks have odd ISO numbers. Counting ISO week numbers would wrongly pick 28 December
    # (W53) or 11 January (W02).
    assert date(2026, 12, 28).isocalendar().week == 53
    meeting = fortnightly(date(2026, 1, 5), {MON}, time(10, 0), "Europe/Berlin")
    found = occurrences(meeting, after=utc(2026, 12, 14), until=utc(2027, 1, 25))
    assert days(found) == [date(2026, 12, 21), date(2027, 1, 4), date(2027, 1, 18)]
    assert [day.isocalendar().week for day in days(found)] == [52, 1, 3]


def test_next_occurrence_of_a_fortnightly_series_two_weeks_out() -> None:
    meeting = fortnightly(date(2026, 3, 2), {MON}, time(9, 30), "America/New_York")
    # just after the meeting of Monday 16 March, the next is Monday 30 March, 14 days later
    after = utc(2026, 3, 16, 13, 30)
    assert next_occurrence(meeting, after=after) == Occurrence(date(2026, 3, 30), utc(2026, 3, 30, 13, 30))


# -- one-off meetings --------------------------------------------------------------------------------


def test_a_once_meeting_happens_once() -> None:
    # Friday 5 March 2027 14:00 in Kolkata (+05:30) is 08:30 UTC; weekdays are ignored
    meeting = Schedule(Repeat.ONCE, date(2027, 3, 5), frozenset({MON}), time(14, 0), "Asia/Kolkata")
    meeting_time = utc(2027, 3, 5, 8, 30)
    assert occurrences(meeting, after=utc(2026, 1, 1), until=utc(2030, 1, 1)) == [
        Occurrence(date(2027, 3, 5), meeting_time)
    ]
    assert next_occurrence(meeting, after=utc(2027, 3, 5, 8, 29)) == Occurrence(date(2027, 3, 5), meeting_time)
    assert next_occurrence(meeting, after=meeting_time) is None
    assert occurrences(meeting, after=meeting_time, until=utc(2030, 1, 1)) == []


def test_check_refuses_a_once_meeting_in_the_past_in_its_own_zone() -> None:
    # 04:00 UTC on Friday 15 January 2027 is 09:30 in Kolkata but still 23:00 on Thursday in New York
    now = datetime(2027, 1, 14, 23, 0, tzinfo=NEW_YORK)
    assert now == utc(2027, 1, 15, 4, 0)
    with pytest.raises(ScheduleProblem, match="That is in the past") as problem:
        check_schedule(once(date(2027, 1, 15), time(9, 0), "Asia/Kolkata"), now=now)
    assert problem.value.field == "time"
    assert "Friday 15 January 2027, 09:30 in Asia/Kolkata" in str(problem.value)
    with pytest.raises(ScheduleProblem, match="in the past") as problem:
        check_schedule(once(date(2027, 1, 14), time(23, 30), "Asia/Kolkata"), now=now)
    assert problem.value.field == "date"
    # 10:00 in Kolkata that Friday is still to come, as is the same 09:00 in New York
    assert check_schedule(once(date(2027, 1, 15), time(10, 0), "Asia/Kolkata"), now=now).at == time(10, 0)
    check_schedule(once(date(2027, 1, 15), time(9, 0), "America/New_York"), now=now)


def test_check_refuses_a_once_meeting_more_than_three_years_ahead() -> None:
    now = utc(2027, 1, 15, 12)
    check_schedule(once(date(2030, 1, 15), time(9, 0), "Europe/Berlin"), now=now)
    with pytest.raises(ScheduleProblem, match="more than 3 years ahead.*15 January 2030") as problem:
        check_schedule(once(date(2030, 1, 16), time(9, 0), "Europe/Berlin"), now=now)
    assert problem.value.field == "date"


def test_check_normalises_a_once_meeting() -> None:
    meeting = Schedule(Repeat.ONCE, date(2027, 3, 5), frozenset({MON}), time(14, 0, 59, 123), "Asia/Kolkata")
    checked = check_schedule(meeting, now=utc(2027, 1, 1))
    assert checked == Schedule(Repeat.ONCE, date(2027, 3, 5), frozenset({FRI}), time(14, 0), "Asia/Kolkata")


# -- wall-clock times skipped or repeated ------------------------------------------------------------


def test_wall_time_problems_name_the_change() -> None:
    assert wall_time_problem(date(2026, 3, 29), time(2, 30), BERLIN) == (
        "02:30 does not exist on Sunday 29 March 2026 in Europe/Berlin: clocks jump from 02:00 to 03:00"
    )
    assert wall_time_problem(date(2026, 11, 1), time(1, 30), NEW_YORK) == (
        "01:30 happens twice on Sunday 1 November 2026 in America/New_York: clocks go back from 02:00 to 01:00"
    )
    assert wall_time_problem(date(2026, 3, 29), time(3, 0), BERLIN) is None
    assert wall_time_problem(date(2026, 3, 29), time(1, 59), BERLIN) is None
    assert wall_time_problem(date(2026, 3, 28), time(2, 30), BERLIN) is None
    assert wall_time_problem(date(2026, 11, 1), time(2, 0), NEW_YORK) is None
    assert wall_time_problem(date(2027, 3, 5), time(2, 30), KOLKATA) is None


def test_lord_howe_skips_and_repeats_half_an_hour() -> None:
    # Sunday 3 October 2027: 02:00 -> 02:30; Sunday 4 April 2027: 02:00 -> 01:30
    assert wall_time_problem(date(2027, 10, 3), time(2, 15), LORD_HOWE) == (
        "02:15 does not exist on Sunday 3 October 2027 in Australia/Lord_Howe: clocks jump from 02:00 to 02:30"
    )
    assert wall_time_problem(date(2027, 10, 3), time(2, 0), LORD_HOWE) is not None
    assert wall_time_problem(date(2027, 10, 3), time(2, 30), LORD_HOWE) is None
    assert wall_time_problem(date(2027, 4, 4), time(1, 45), LORD_HOWE) == (
        "01:45 happens twice on Sunday 4 April 2027 in Australia/Lord_Howe: clocks go back from 02:00 to 01:30"
    )
    assert wall_time_problem(date(2027, 4, 4), time(1, 30), LORD_HOWE) is not None
    assert wall_time_problem(date(2027, 4, 4), time(2, 0), LORD_HOWE) is None
    assert wall_time_problem(date(2027, 4, 4), time(1, 15), LORD_HOWE) is None


def test_check_refuses_half_past_two_on_berlin_sundays() -> None:
    meeting = weekly(date(2026, 1, 4), {SUN}, time(2, 30), "Europe/Berlin")
    with pytest.raises(ScheduleProblem) as problem:
        check_schedule(meeting, now=utc(2027, 1, 10))
    assert problem.value.field == "time"
    assert str(problem.value) == (
        "02:30 does not exist on Sunday 28 March 2027 in Europe/Berlin: clocks jump from 02:00 to 03:00. "
        "Pick a time outside 02:00–03:00, or meet on other weekdays."
    )
    # from April 2026 the first change within the horizon is the one back, on Sunday 25 October 2026
    with pytest.raises(ScheduleProblem, match="02:30 happens twice on Sunday 25 October 2026.*outside 02:00–03:00"):
        check_schedule(meeting, now=utc(2026, 4, 1))


def test_check_only_looks_as_far_as_the_horizon() -> None:
    meeting = weekly(date(2026, 1, 4), {SUN}, time(2, 30), "Europe/Berlin")
    # from Sunday 10 January 2027, 77 days reach Sunday 28 March 2027 and 76 do not
    with pytest.raises(ScheduleProblem):
        check_schedule(meeting, now=utc(2027, 1, 10), horizon_days=77)
    assert check_schedule(meeting, now=utc(2027, 1, 10), horizon_days=76) == meeting


def test_check_allows_half_past_two_on_berlin_tuesdays() -> None:
    meeting = weekly(date(2026, 1, 6), {TUE}, time(2, 30), "Europe/Berlin")
    assert check_schedule(meeting, now=utc(2026, 1, 1)) == meeting


def test_check_refuses_half_past_one_on_the_new_york_fall_back_sunday() -> None:
    with pytest.raises(ScheduleProblem) as problem:
        check_schedule(once(date(2027, 11, 7), time(1, 30), "America/New_York"), now=utc(2027, 1, 1))
    assert problem.value.field == "time"
    assert str(problem.value) == (
        "01:30 happens twice on Sunday 7 November 2027 in America/New_York: clocks go back from 02:00 to 01:00. "
        "Pick a time outside 01:00–02:00, or another day."
    )


def test_check_refuses_a_quarter_past_two_at_lord_howe_on_its_spring_forward_day() -> None:
    with pytest.raises(ScheduleProblem, match="02:15 does not exist.*outside 02:00–02:30") as problem:
        check_schedule(once(date(2027, 10, 3), time(2, 15), "Australia/Lord_Howe"), now=utc(2027, 1, 1))
    assert problem.value.field == "time"
    # a weekly Sunday series meets the April repeat first
    series = weekly(date(2027, 1, 3), {SUN}, time(1, 45), "Australia/Lord_Howe")
    with pytest.raises(ScheduleProblem, match="Sunday 4 April 2027.*outside 01:30–02:00"):
        check_schedule(series, now=utc(2027, 1, 1))


def test_a_fortnightly_series_can_miss_the_change() -> None:
    # Sundays of weeks A from Sunday 21 March 2027: 21 March, 4 April, ... skip Sunday 28 March 2027;
    # the autumn change, Sunday 31 October 2027, is 32 weeks after 21 March: week A again
    meeting = fortnightly(date(2027, 3, 21), {SUN}, time(2, 30), "Europe/Berlin")
    with pytest.raises(ScheduleProblem, match="happens twice on Sunday 31 October 2027"):
        check_schedule(meeting, now=utc(2027, 1, 1))
    # in spring the skipped hour falls in a week B, so the meeting occurs unchanged around it
    found = occurrences(meeting, after=utc(2027, 3, 20), until=utc(2027, 4, 5))
    assert starts(found) == [utc(2027, 3, 21, 1, 30), utc(2027, 4, 4, 0, 30)]


def test_unchecked_skipped_and_repeated_times_follow_fold_zero() -> None:
    # 02:30 on Sunday 28 March 2027 in Berlin does not exist: it moves forward to 03:30 CEST (01:30 UTC)
    skipped = weekly(date(2027, 1, 3), {SUN}, time(2, 30), "Europe/Berlin")
    found = occurrences(skipped, after=utc(2027, 3, 27), until=utc(2027, 3, 29))
    assert found == [Occurrence(date(2027, 3, 28), utc(2027, 3, 28, 1, 30))]
    assert occasion_key(found[0]) == "2027-03-28"
    # 02:30 on Sunday 31 October 2027 happens twice: the first one, 02:30 CEST (00:30 UTC), only
    found = occurrences(skipped, after=utc(2027, 10, 30), until=utc(2027, 11, 1))
    assert found == [Occurrence(date(2027, 10, 31), utc(2027, 10, 31, 0, 30))]


# -- monthly series --------------------------------------------------------------------------------------


def test_the_monthly_position_comes_from_the_day_of_the_month() -> None:
    # days 1-7 are the 1st weekday of their kind, 8-14 the 2nd, 15-21 the 3rd, 22-28 the 4th, 29-31 the last
    assert [monthly_position(date(2027, 3, day)) for day in (1, 7, 8, 14, 15, 21, 22, 28, 29, 31)] == [
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
        LAST,
        LAST,
    ]
    assert monthly_name(date(2027, 1, 12)) == "2nd Tuesday"
    assert monthly_name(date(2027, 1, 29)) == "last Friday"
    assert monthly_name(date(2027, 2, 26)) == "4th Friday"  # the last Friday of February, but the 4th
    assert monthly_day(2027, 2, FRI, LAST) == date(2027, 2, 26)
    assert monthly_day(2028, 2, TUE, LAST) == date(2028, 2, 29)  # a leap day
    assert monthly_day(2027, 12, FRI, LAST) == date(2027, 12, 31)
    assert monthly_day(2027, 12, SAT, LAST) == date(2027, 12, 25)
    assert monthly_day(2027, 5, SAT, 1) == date(2027, 5, 1)
    assert monthly_day(2027, 5, FRI, 1) == date(2027, 5, 7)


def test_a_monthly_series_keeps_its_nth_weekday_in_months_with_five() -> None:
    # Tuesday 12 January 2027 is the 2nd Tuesday; March and June 2027 have five Tuesdays
    meeting = monthly(date(2027, 1, 12), time(10, 0), "Europe/Berlin")
    found = occurrences(meeting, after=utc(2027, 1, 1), until=utc(2027, 7, 1))
    assert days(found) == [
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
        date(2027, 4, 13),
        date(2027, 5, 11),
        date(2027, 6, 8),
    ]
    # 10:00 in Berlin: 09:00 UTC in winter, 08:00 UTC from 28 March 2027
    assert [occ.starts_at.hour for occ in found] == [9, 9, 9, 8, 8, 8]
    # a start on the 4th Friday that is the last of February stays the 4th: 23 April, not 30 April 2027
    fourth = monthly(date(2027, 2, 26), time(10, 0), "UTC")
    assert days(occurrences(fourth, after=utc(2027, 2, 1), until=utc(2027, 6, 1))) == [
        date(2027, 2, 26),
        date(2027, 3, 26),
        date(2027, 4, 23),
        date(2027, 5, 28),
    ]


def test_a_monthly_series_started_on_a_fifth_weekday_meets_on_the_last() -> None:
    # Friday 29 January 2027 is a 5th Friday: the last Friday of every month, February's 26th included
    meeting = monthly(date(2027, 1, 29), time(16, 0), "Europe/Berlin")
    assert describe(meeting) == "Every month on the last Friday at 16:00 (Europe/Berlin)"
    found = occurrences(meeting, after=utc(2027, 1, 1), until=utc(2027, 6, 1))
    assert days(found) == [
        date(2027, 1, 29),
        date(2027, 2, 26),
        date(2027, 3, 26),
        date(2027, 4, 30),
        date(2027, 5, 28),
    ]
    # the last Tuesday of February 2028 is the leap day
    leap = monthly(date(2027, 11, 30), time(9, 0), "UTC")
    assert days(occurrences(leap, after=utc(2028, 1, 1), until=utc(2028, 4, 1))) == [
        date(2028, 1, 25),
        date(2028, 2, 29),
        date(2028, 3, 28),
    ]


def test_a_monthly_series_runs_from_december_into_january() -> None:
    second = monthly(date(2026, 12, 8), time(10, 0), "Europe/Berlin")  # the 2nd Tuesday
    assert days(occurrences(second, after=utc(2026, 12, 1), until=utc(2027, 2, 28))) == [
        date(2026, 12, 8),
        date(2027, 1, 12),
        date(2027, 2, 9),
    ]
    # after the December meeting has started, the next is in January of the next year
    assert next_occurrence(second, after=utc(2026, 12, 8, 9)) == Occurrence(date(2027, 1, 12), utc(2027, 1, 12, 9))
    last = monthly(date(2026, 12, 31), time(23, 30), "America/Santiago")  # the last Thursday
    assert next_occurrence(last, after=utc(2027, 1, 1, 2, 30)) == Occurrence(date(2027, 1, 28), utc(2027, 1, 29, 2, 30))
    # a window across the turn of the year that starts before the series does
    assert days(occurrences(last, after=utc(2026, 11, 1), until=utc(2027, 3, 1))) == [
        date(2026, 12, 31),
        date(2027, 1, 28),
        date(2027, 2, 25),
    ]
    assert next_occurrence(last, after=utc(2026, 1, 1)) == Occurrence(date(2026, 12, 31), utc(2027, 1, 1, 2, 30))


def test_a_monthly_series_keeps_its_local_time_in_santiago() -> None:
    # Santiago: UTC-3 in summer, UTC-4 from Sunday 4 April 2027 to Sunday 5 September 2027
    meeting = monthly(date(2027, 1, 3), time(10, 0), "America/Santiago")  # the 1st Sunday
    found = occurrences(meeting, after=utc(2027, 1, 1), until=utc(2027, 10, 1))
    assert days(found) == [
        date(2027, month, day)
        for month, day in ((1, 3), (2, 7), (3, 7), (4, 4), (5, 2), (6, 6), (7, 4), (8, 1), (9, 5))
    ]
    assert [occ.starts_at.hour for occ in found] == [13, 13, 13, 14, 14, 14, 14, 14, 13]


def test_check_refuses_a_monthly_time_in_a_berlin_gap_or_overlap() -> None:
    # the last Sunday of March and of October is when Berlin's clocks change
    last_sunday = monthly(date(2027, 1, 31), time(2, 30), "Europe/Berlin")
    with pytest.raises(ScheduleProblem) as problem:
        check_schedule(last_sunday, now=utc(2027, 1, 10))
    assert problem.value.field == "time"
    assert str(problem.value) == (
        "02:30 does not exist on Sunday 28 March 2027 in Europe/Berlin: clocks jump from 02:00 to 03:00. "
        "Pick a time outside 02:00–03:00, or start the series on another day of the month."
    )
    with pytest.raises(ScheduleProblem, match="02:30 happens twice on Sunday 31 October 2027.*outside 02:00–03:00"):
        check_schedule(last_sunday, now=utc(2027, 4, 1))
    # the 4th Sunday: 28 March 2027 is also the 4th, 24 October 2027 is not the last; 26 March 2028 is both
    fourth_sunday = monthly(date(2027, 4, 25), time(2, 30), "Europe/Berlin")
    with pytest.raises(ScheduleProblem, match="does not exist on Sunday 26 March 2028"):
        check_schedule(fourth_sunday, now=utc(2027, 4, 1))
    # the 2nd Sunday never meets a change; nor does the last Saturday
    assert check_schedule(monthly(date(2027, 1, 10), time(2, 30), "Europe/Berlin"), now=utc(2027, 1, 1)).at == time(
        2, 30
    )
    check_schedule(monthly(date(2027, 1, 30), time(2, 30), "Europe/Berlin"), now=utc(2027, 1, 1))


def test_check_refuses_a_monthly_time_in_a_santiago_gap_or_overlap() -> None:
    # Santiago's clocks change at midnight: 23:00-24:00 on Saturday 3 April 2027 happens twice, and
    # 00:00-01:00 on Sunday 5 September 2027 does not exist
    first_saturday = monthly(date(2027, 1, 2), time(23, 30), "America/Santiago")
    with pytest.raises(ScheduleProblem) as problem:
        check_schedule(first_saturday, now=utc(2027, 1, 1))
    assert problem.value.field == "time"
    assert str(problem.value) == (
        "23:30 happens twice on Saturday 3 April 2027 in America/Santiago: clocks go back from 00:00 on "
        "Sunday 4 April 2027 to 23:00. Pick a time outside 23:00–00:00 on Sunday 4 April 2027, or start the "
        "series on another day of the month."
    )
    first_sunday = monthly(date(2027, 1, 3), time(0, 30), "America/Santiago")
    with pytest.raises(ScheduleProblem, match="00:30 does not exist on Sunday 5 September 2027"):
        check_schedule(first_sunday, now=utc(2027, 1, 1))
    # the 2nd Saturday and Sunday are clear of both
    check_schedule(monthly(date(2027, 1, 9), time(23, 30), "America/Santiago"), now=utc(2027, 1, 1))
    check_schedule(monthly(date(2027, 1, 10), time(0, 30), "America/Santiago"), now=utc(2027, 1, 1))


def test_an_unchecked_monthly_time_in_a_gap_follows_fold_zero_like_weekly() -> None:
    meeting = monthly(date(2027, 1, 31), time(2, 30), "Europe/Berlin")  # the last Sunday
    spring = occurrences(meeting, after=utc(2027, 3, 27), until=utc(2027, 3, 29))
    assert spring == [Occurrence(date(2027, 3, 28), utc(2027, 3, 28, 1, 30))]  # moved to 03:30 CEST
    autumn = occurrences(meeting, after=utc(2027, 10, 30), until=utc(2027, 11, 1))
    assert autumn == [Occurrence(date(2027, 10, 31), utc(2027, 10, 31, 0, 30))]  # the first 02:30
    weekly_sundays = weekly(date(2027, 1, 3), {SUN}, time(2, 30), "Europe/Berlin")
    assert spring == occurrences(weekly_sundays, after=utc(2027, 3, 27), until=utc(2027, 3, 29))


def test_check_gives_a_monthly_series_its_start_weekday_whatever_was_ticked() -> None:
    for ticked in (set(), {MON, WED}, {0, 8}):
        meeting = monthly(date(2027, 3, 9), time(10, 0, 30), "Europe/Berlin", ticked)
        checked = check_schedule(meeting, now=utc(2027, 1, 1))
        assert checked == Schedule(Repeat.MONTHLY, date(2027, 3, 9), frozenset({TUE}), time(10, 0), "Europe/Berlin")
    # the weekdays play no part in when it meets
    assert occurrences(
        monthly(date(2027, 3, 9), time(10, 0), "UTC", {MON}), after=utc(2027, 3, 1), until=utc(2027, 5, 1)
    ) == occurrences(monthly(date(2027, 3, 9), time(10, 0), "UTC"), after=utc(2027, 3, 1), until=utc(2027, 5, 1))
    far = monthly(date(2030, 1, 16), time(10, 0), "Europe/Berlin")
    with pytest.raises(ScheduleProblem, match="more than 3 years ahead") as problem:
        check_schedule(far, now=utc(2027, 1, 15, 12))
    assert problem.value.field == "date"


# -- other checks ------------------------------------------------------------------------------------


def test_check_refuses_a_series_without_weekdays() -> None:
    with pytest.raises(ScheduleProblem, match="at least one weekday") as problem:
        check_schedule(weekly(date(2027, 1, 4), set(), time(10, 0), "Europe/Berlin"), now=utc(2027, 1, 1))
    assert problem.value.field == "weekdays"


def test_check_refuses_weekday_numbers_outside_one_to_seven() -> None:
    with pytest.raises(ScheduleProblem, match=r"1 \(Monday\) to 7 \(Sunday\), not 0, 8") as problem:
        check_schedule(fortnightly(date(2027, 1, 4), {0, 1, 8}, time(10, 0), "Europe/Berlin"), now=utc(2027, 1, 1))
    assert problem.value.field == "weekdays"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "europe/berlin ", "../etc/passwd", "America"])
def test_check_refuses_an_unknown_zone(name: str) -> None:
    with pytest.raises(ScheduleProblem, match="Unknown time zone") as problem:
        check_schedule(weekly(date(2027, 1, 4), {MON}, time(10, 0), name), now=utc(2027, 1, 1))
    assert problem.value.field == "tz"
    assert isinstance(problem.value, ValueError)


def test_check_refuses_an_aware_time() -> None:
    meeting = weekly(date(2027, 1, 4), {MON}, time(10, 0, tzinfo=UTC), "Europe/Berlin")
    with pytest.raises(ScheduleProblem) as problem:
        check_schedule(meeting, now=utc(2027, 1, 1))
    assert problem.value.field == "time"


def test_check_normalises_a_series() -> None:
    meeting = Schedule(Repeat.WEEKLY, date(2020, 1, 6), {MON, WED}, time(9, 15, 42, 7), "Europe/Berlin")  # type: ignore[arg-type]
    checked = check_schedule(meeting, now=utc(2027, 1, 1))
    assert checked.weekdays == frozenset({MON, WED})
    assert isinstance(checked.weekdays, frozenset)
    assert checked.at == time(9, 15)


# -- prompts, keys and descriptions ------------------------------------------------------------------


def test_prompt_and_key_of_an_occurrence() -> None:
    meeting = weekly(date(2027, 1, 5), {TUE}, time(10, 0), "Europe/Berlin")
    before, after = occurrences(meeting, after=utc(2027, 3, 22), until=utc(2027, 3, 31))
    assert prompt_at(before, timedelta(minutes=15)) == utc(2027, 3, 23, 8, 45)
    assert prompt_at(after, timedelta(minutes=15)) == utc(2027, 3, 30, 7, 45)
    assert [occasion_key(before), occasion_key(after)] == ["2027-03-23", "2027-03-30"]


def test_descriptions() -> None:
    assert describe(weekly(date(2026, 1, 1), {THU, TUE}, time(10, 0), "Europe/Berlin")) == (
        "Every Tuesday and Thursday at 10:00 (Europe/Berlin)"
    )
    assert describe(fortnightly(date(2026, 3, 2), {MON}, time(9, 30), "America/New_York")) == (
        "Every other Monday at 09:30 (America/New_York), from 2 March 2026"
    )
    assert describe(once(date(2027, 3, 5), time(14, 0), "Asia/Kolkata")) == (
        "Once, on Friday 5 March 2027 at 14:00 (Asia/Kolkata)"
    )
    assert describe(weekly(date(2026, 1, 1), {MON, WED, FRI}, time(8, 5), "UTC")) == (
        "Every Monday, Wednesday and Friday at 08:05 (UTC)"
    )
    assert describe(weekly(date(2026, 1, 1), set(range(1, 8)), time(8, 0), "UTC")) == "Every day at 08:00 (UTC)"
    # a fortnightly series names its first meeting day; a weekly one when it has not begun by `today`
    assert describe(fortnightly(date(2026, 3, 4), {MON, THU}, time(9, 0), "Europe/Berlin")) == (
        "Every other Monday and Thursday at 09:00 (Europe/Berlin), from 5 March 2026"
    )
    later = weekly(date(2026, 3, 4), {MON}, time(9, 0), "Europe/Berlin")
    assert describe(later, today=date(2026, 3, 1)) == "Every Monday at 09:00 (Europe/Berlin), from 9 March 2026"
    assert describe(later, today=date(2026, 3, 9)) == "Every Monday at 09:00 (Europe/Berlin)"
    # a monthly series names its weekday and its place in the month, and its start only before it
    second = monthly(date(2026, 3, 10), time(9, 0), "Europe/Berlin", {MON})
    assert describe(second) == "Every month on the 2nd Tuesday at 09:00 (Europe/Berlin)"
    assert describe(second, today=date(2026, 3, 1)) == (
        "Every month on the 2nd Tuesday at 09:00 (Europe/Berlin), from 10 March 2026"
    )
    assert describe(monthly(date(2026, 3, 2), time(9, 0), "UTC")) == "Every month on the 1st Monday at 09:00 (UTC)"
    assert describe(monthly(date(2026, 3, 19), time(9, 0), "UTC")) == "Every month on the 3rd Thursday at 09:00 (UTC)"
    assert describe(monthly(date(2026, 3, 30), time(9, 0), "UTC")) == "Every month on the last Monday at 09:00 (UTC)"


# -- properties --------------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Apia",
]

schedules = st.builds(
    Schedule,
    repeat=st.sampled_from([Repeat.WEEKLY, Repeat.FORTNIGHTLY, Repeat.MONTHLY]),
    start=st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)),
    weekdays=st.frozensets(st.integers(1, 7), min_size=1),
    at=st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 59])),
    tz=st.sampled_from(ZONES),
)
moments = st.datetimes(min_value=datetime(2016, 1, 1), max_value=datetime(2036, 1, 1), timezones=st.just(UTC))
window_lengths = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=100))


def meeting_weekdays(schedule: Schedule) -> frozenset[int]:
    """The weekdays a schedule meets on: a monthly one ignores those given and meets on its start's."""
    return frozenset({schedule.start.isoweekday()}) if schedule.repeat is Repeat.MONTHLY else schedule.weekdays


def brute_force_days(schedule: Schedule, first: date, last: date) -> list[date]:
    """The meeting days from first to last, day by day: the obvious way."""
    found = []
    day = first
    while day <= last:
        weeks = (day - schedule.start).days + schedule.start.isoweekday() - day.isoweekday()
        if schedule.repeat is Repeat.MONTHLY:
            nth = (schedule.start.day + 6) // 7  # 1..5; the 5th means the last
            position = (day.day + 6) // 7
            is_last = (day + timedelta(days=7)).month != day.month
            in_week_a = position == nth or (nth == 5 and is_last)
        else:
            in_week_a = schedule.repeat is Repeat.WEEKLY or weeks // 7 % 2 == 0
        if day >= schedule.start and day.isoweekday() in meeting_weekdays(schedule) and in_week_a:
            found.append(day)
        day += timedelta(days=1)
    return found


@settings(max_examples=examples(300))
@given(schedules, moments, window_lengths)
def test_occurrences_keep_their_local_time_weekday_and_spacing(
    schedule: Schedule, after: datetime, length: timedelta
) -> None:
    until = after + length
    tz = ZoneInfo(schedule.tz)
    found = occurrences(schedule, after=after, until=until)
    assert starts(found) == sorted(set(starts(found)))
    for occ in found:
        assert after < occ.starts_at <= until
        assert occ.starts_at.tzinfo is UTC
        assert occ.local_date >= schedule.start
        assert occ.local_date.isoweekday() in meeting_weekdays(schedule)
        assert occasion_key(occ) == occ.local_date.isoformat()
        if wall_time_problem(occ.local_date, schedule.at, tz) is None:
            local = occ.starts_at.astimezone(tz)
            assert (local.date(), local.time()) == (occ.local_date, schedule.at)
    spacings = {Repeat.WEEKLY: {7}, Repeat.FORTNIGHTLY: {14}, Repeat.MONTHLY: {28, 35}}[schedule.repeat]
    for weekday in meeting_weekdays(schedule):
        same_day = [occ.local_date for occ in found if occ.local_date.isoweekday() == weekday]
        assert all((b - a).days in spacings for a, b in zip(same_day, same_day[1:], strict=False))
        if schedule.repeat is Repeat.MONTHLY:  # one a month, every month
            assert all(
                (b.year * 12 + b.month) - (a.year * 12 + a.month) == 1
                for a, b in zip(same_day, same_day[1:], strict=False)
            )
    # nothing missed: the same days as walking the window day by day
    local_after, local_until = after.astimezone(tz).date(), until.astimezone(tz).date()
    expected = [
        day
        for day in brute_force_days(schedule, local_after - timedelta(days=2), local_until + timedelta(days=2))
        if after < datetime.combine(day, schedule.at, tzinfo=tz) <= until
    ]
    assert days(found) == expected


@settings(max_examples=examples(200))
@given(schedules, moments, window_lengths)
def test_next_occurrence_is_the_first_of_the_window_and_windows_split_cleanly(
    schedule: Schedule, after: datetime, length: timedelta
) -> None:
    following = next_occurrence(schedule, after=after)
    assert following is not None  # a valid repeating schedule always has a next meeting
    assert following.starts_at > after
    assert occurrences(schedule, after=after, until=following.starts_at) == [following]
    middle, until = after + length, after + 2 * length
    assert occurrences(schedule, after=after, until=until) == (
        occurrences(schedule, after=after, until=middle) + occurrences(schedule, after=middle, until=until)
    )
