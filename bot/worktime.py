"""Working time: when a nudge may reach a person, computed in their own time zone.

All functions are pure. Moments are timezone-aware; local dates and times are turned into UTC
through `zoneinfo`, so daylight-saving changes move nothing: a nudge for "Tuesday 09:00" is at
09:00 local on that Tuesday whatever the offset that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_WORK_DAYS = frozenset({1, 2, 3, 4, 5})  # ISO weekdays, Monday = 1


@dataclass(frozen=True)
class WorkCalendar:
    """A workspace's working days, hours and holidays."""

    work_days: frozenset[int] = DEFAULT_WORK_DAYS
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.work_days and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the next one."""
        for _ in range(400):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year: check the workspace's working days and holidays")


def zone(name: str | None) -> ZoneInfo:
    """The named IANA zone; UTC when unknown or missing."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def at_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC moment of a local wall-clock time. A time skipped by a DST change maps forward."""
    local = datetime.combine(day, clock, tzinfo=tz)
    # Round-trip through UTC: a non-existent local time (in a spring-forward gap) comes back shifted.
    return local.astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def next_working_moment(
    moment: datetime, tz: ZoneInfo, calendar: WorkCalendar, *, paused_until: date | None = None
) -> datetime:
    """`moment` if it falls in working time (and after any pause), else the next start of work."""
    day = local_date(moment, tz)
    if paused_until is not None and day <= paused_until:
        day = paused_until + timedelta(days=1)
        moment = at_local(day, calendar.start, tz)
    for _ in range(400):
        if calendar.is_working_day(day):
            start = at_local(day, calendar.start, tz)
            end = at_local(day, calendar.end, tz)
            if moment < start:
                return start
            if moment < end:
                return moment
        day += timedelta(days=1)
        moment = at_local(day, calendar.start, tz)
    raise ValueError("no working time within a year: check the workspace's working days and holidays")


def morning_of(day: date, tz: ZoneInfo, calendar: WorkCalendar, *, paused_until: date | None = None) -> datetime:
    """The start of work on `day`, or the next working moment after it."""
    return next_working_moment(at_local(day, calendar.start, tz), tz, calendar, paused_until=paused_until)


def add_working_days(moment: datetime, days: int, tz: ZoneInfo, calendar: WorkCalendar) -> datetime:
    """The same local time `days` working days later (weekends and holidays do not count)."""
    local = moment.astimezone(tz)
    day = local.date()
    for _ in range(days):
        day = calendar.next_working_day(day + timedelta(days=1))
    return at_local(day, local.time().replace(tzinfo=None), tz)


def iso_week(moment: datetime, tz: ZoneInfo) -> str:
    year, week, _ = local_date(moment, tz).isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a calendar quarter."""
    first = date(year, 3 * (quarter - 1) + 1, 1)
    next_first = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first, next_first - timedelta(days=1)


def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def parse_work_days(text: str) -> frozenset[int]:
    return frozenset(int(part) for part in text.split(",") if part.strip())


def calendar_from(work_days: str, start: time, end: time, holidays: Iterable[date]) -> WorkCalendar:
    return WorkCalendar(parse_work_days(work_days) or DEFAULT_WORK_DAYS, start, end, frozenset(holidays))
