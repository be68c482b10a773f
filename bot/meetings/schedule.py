"""When a registered meeting happens: pure scheduling on local dates, no database and no Slack.

A meeting is a local wall-clock time on local dates in its own IANA zone. Occurrences are found on
local dates first and only then turned into UTC, so a 10:00 meeting stays at 10:00 local through a
daylight-saving change while its UTC time moves; `occasion_key` names an occurrence by its local
date, so it does not move either.

A MONTHLY series meets on the same weekday position as its start date, as calendars offer it: the
Nth weekday of the month, N counted from the start date's day of the month (days 1–7 are the 1st,
8–14 the 2nd, 15–21 the 3rd, 22–28 the 4th); a start on day 29, 30 or 31 (a 5th weekday) means the
*last* such weekday of every month. A start on the 4th Friday that happens to be the month's last
Friday stays "the 4th Friday" (in a month with five Fridays it is not the last). Its weekday is the
start date's: `Schedule.weekdays` is ignored and normalised to it.

Wall-clock times that a DST change skips or repeats are refused by `check_schedule` (for a series,
on the days it occurs within a horizon). Should one still be met (a series beyond the horizon, or a
schedule that was never checked), `occurrences` follows PEP 495's `fold=0`: a skipped time moves
forward by the size of the gap (02:30 becomes 03:30) and a repeated time is its first instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ProblemField = Literal["weekdays", "date", "time", "tz"]

MAX_YEARS_AHEAD = 3
# local dates looked at either side of a window: a local date and its UTC moment can be a day apart
_MARGIN = timedelta(days=2)
# how far past the next matching day `next_occurrence` looks: a fortnight and a little
_LOOKAHEAD = timedelta(days=16)
# ... and for a monthly series: two of its meetings are at most five weeks apart
_MONTHLY_LOOKAHEAD = timedelta(days=37)
LAST = 5  # `monthly_position` of a meeting on the last such weekday of the month
_ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", LAST: "last"}

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Repeat(StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"  # every other week, counted from the week of `start`
    MONTHLY = "monthly"  # the Nth (or last) weekday of each month, both taken from `start`


@dataclass(frozen=True)
class Schedule:
    """A meeting's rule.

    `start` is the day of a ONCE meeting, or the first day a series may occur; a fortnightly series
    meets in the weeks whose Monday is an even number of weeks after the Monday of `start`'s week; a
    monthly one on `start`'s weekday position in each month (`monthly_position`).
    `weekdays` are ISO numbers (1 = Monday .. 7 = Sunday), ignored for ONCE and MONTHLY (both meet on
    `start`'s weekday). `at` is local wall-clock time in `tz`, an IANA zone name.
    """

    repeat: Repeat
    start: date
    weekdays: frozenset[int]
    at: time
    tz: str


@dataclass(frozen=True)
class Occurrence:
    local_date: date
    starts_at: datetime  # aware, UTC


class ScheduleProblem(ValueError):
    """A schedule that cannot be kept; `field` names the part to change, the message says how."""

    def __init__(self, field: ProblemField, message: str) -> None:
        super().__init__(message)
        self.field: ProblemField = field
        self.message = message


# -- occurrences --------------------------------------------------------------------------------------


def occurrences(schedule: Schedule, *, after: datetime, until: datetime) -> list[Occurrence]:
    """Every occurrence starting strictly after `after` and no later than `until`, in order."""
    _require_aware(after, "after")
    _require_aware(until, "until")
    if until <= after:
        return []
    tz = _zone(schedule.tz)
    first = after.astimezone(tz).date() - _MARGIN
    last = until.astimezone(tz).date() + _MARGIN
    found = (_occurrence(day, schedule.at, tz) for day in _days(schedule, first, last))
    return sorted((occ for occ in found if after < occ.starts_at <= until), key=lambda occ: occ.starts_at)


def next_occurrence(schedule: Schedule, *, after: datetime) -> Occurrence | None:
    """The first occurrence starting strictly after `after`; None when there is none (a past ONCE)."""
    _require_aware(after, "after")
    tz = _zone(schedule.tz)
    local_day = after.astimezone(tz).date()
    base = max(local_day, schedule.start)
    ahead = _MONTHLY_LOOKAHEAD if schedule.repeat is Repeat.MONTHLY else _LOOKAHEAD
    found = (_occurrence(day, schedule.at, tz) for day in _days(schedule, local_day - _MARGIN, base + ahead))
    return min((occ for occ in found if occ.starts_at > after), key=lambda occ: occ.starts_at, default=None)


def occasion_key(occurrence: Occurrence) -> str:
    """A stable name for one occurrence: its local date, e.g. "2027-03-28" (DST does not move it)."""
    return occurrence.local_date.isoformat()


def prompt_at(occurrence: Occurrence, lead: timedelta) -> datetime:
    """When to prompt the owner: `lead` before the meeting starts (UTC)."""
    return occurrence.starts_at - lead


def local_start(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC moment of `at` on `day` in `tz` (fold=0: a skipped time moves forward, a repeated one is the first)."""
    return datetime.combine(day, _clock(at), tzinfo=tz).astimezone(UTC)


def monthly_position(start: date) -> int:
    """Which of its month's weekdays like it `start` is: 1 to 4, or `LAST` for a 5th one (day 29 to 31)."""
    return (start.day - 1) // 7 + 1


def monthly_day(year: int, month: int, weekday: int, position: int) -> date:
    """The `position`-th (1..4) or last (`LAST`) ISO `weekday` of the month."""
    if position == LAST:
        following = date(year + month // 12, month % 12 + 1, 1)
        last = following - timedelta(days=1)
        return last - timedelta(days=(last.isoweekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.isoweekday()) % 7 + 7 * (position - 1))


def _occurrence(day: date, at: time, tz: ZoneInfo) -> Occurrence:
    return Occurrence(local_date=day, starts_at=local_start(day, at, tz))


def _days(schedule: Schedule, first: date, last: date) -> Iterator[date]:
    """The local dates in first..last (inclusive) on which the schedule meets, never before its start."""
    first = max(first, schedule.start)
    if first > last:
        return
    if schedule.repeat is Repeat.ONCE:
        if first <= schedule.start <= last:
            yield schedule.start
        return
    if schedule.repeat is Repeat.MONTHLY:
        weekday, position = schedule.start.isoweekday(), monthly_position(schedule.start)
        year, month = first.year, first.month
        while date(year, month, 1) <= last:
            day = monthly_day(year, month, weekday, position)
            if first <= day <= last:
                yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return
    weekdays = sorted(day for day in schedule.weekdays if _is_weekday(day))
    if not weekdays:
        return
    monday = _monday_of(first)
    step = timedelta(weeks=1)
    if schedule.repeat is Repeat.FORTNIGHTLY:
        step = timedelta(weeks=2)
        if (monday - _monday_of(schedule.start)).days // 7 % 2:
            monday += timedelta(weeks=1)  # a "B" week: jump to the next "A" week
    while monday <= last:
        for weekday in weekdays:
            day = monday + timedelta(days=weekday - 1)
            if first <= day <= last:
                yield day
        monday += step


# -- daylight-saving changes --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Change:
    skipped: bool  # True: the time does not exist (spring forward); False: it happens twice
    day: date
    before: datetime  # local wall clock just before the change (naive)
    after: datetime  # local wall clock just after it (naive)
    reason: str

    def span(self) -> str:
        """The local times to avoid, e.g. "02:00–03:00"."""
        low, high = sorted((self.before, self.after))
        return f"{_wall(low, self.day)}–{_wall(high, self.day)}"


def wall_time_problem(day: date, at: time, tz: ZoneInfo) -> str | None:
    """None when `at` exists exactly once on `day` in `tz`; else why not (skipped or repeated)."""
    change = _change_at(day, at, tz)
    return None if change is None else change.reason


def _change_at(day: date, at: time, tz: ZoneInfo) -> _Change | None:
    wall = datetime.combine(day, _clock(at))
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    first_utc, second_utc = first.astimezone(UTC), second.astimezone(UTC)
    # round trip: a repeated time comes back as itself, a skipped one comes back moved
    skipped = first_utc.astimezone(tz).replace(tzinfo=None) != wall
    # The change lies between the two readings: bisect (to the second) for the instant it happens.
    low, high = sorted((first_utc, second_utc))
    offset_before, offset_after = _offset(low, tz), _offset(high, tz)
    low_s, high_s = 0, int((high - low).total_seconds())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if _offset(low + timedelta(seconds=middle), tz) == offset_after:
            high_s = middle
        else:
            low_s = middle
    instant = (low + timedelta(seconds=high_s)).replace(tzinfo=None)
    before, after = instant + offset_before, instant + offset_after
    where = f"on {_long_date(day)} in {_zone_name(tz)}"
    from_to = f"from {_wall(before, day)} to {_wall(after, day)}"
    if skipped:
        reason = f"{_hhmm(at)} does not exist {where}: clocks jump {from_to}"
    else:
        reason = f"{_hhmm(at)} happens twice {where}: clocks go back {from_to}"
    return _Change(skipped=skipped, day=day, before=before, after=after, reason=reason)


def _offset(moment: datetime, tz: ZoneInfo) -> timedelta:
    offset = moment.astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset


# -- checking -----------------------------------------------------------------------------------------


def check_schedule(schedule: Schedule, *, now: datetime, horizon_days: int = 400) -> Schedule:
    """The schedule, normalised, or ScheduleProblem saying what to change.

    Normalised: `weekdays` a frozenset (for ONCE and MONTHLY: start's weekday), `at` without seconds. A series
    is checked for DST-skipped or repeated times on the days it meets within `horizon_days` from
    today (or from its start, when that is later).
    """
    _require_aware(now, "now")
    tz = _zone(schedule.tz)
    if schedule.at.tzinfo is not None:
        raise ScheduleProblem("time", f"Give the time as a plain local time: the meeting's zone is {schedule.tz}.")
    at = _clock(schedule.at)
    today = now.astimezone(tz).date()
    latest = _years_later(today, MAX_YEARS_AHEAD)
    if schedule.repeat is Repeat.ONCE:
        checked = replace(schedule, weekdays=frozenset({schedule.start.isoweekday()}), at=at)
        if local_start(schedule.start, at, tz) <= now:
            local_now = now.astimezone(tz)
            raise ScheduleProblem(
                "date" if schedule.start < today else "time",
                f"That is in the past: it is already {_long_date(today)}, {_hhmm(local_now.time())} in "
                f"{schedule.tz}. Pick a later date or time.",
            )
        if schedule.start > latest:
            raise ScheduleProblem(
                "date",
                f"That is more than {MAX_YEARS_AHEAD} years ahead: pick a date no later than {_short_date(latest)}.",
            )
        change = _change_at(schedule.start, at, tz)
        if change is not None:
            raise ScheduleProblem("time", f"{change.reason}. Pick a time outside {change.span()}, or another day.")
        return checked

    if schedule.repeat is Repeat.MONTHLY:
        weekdays = frozenset({schedule.start.isoweekday()})  # whatever was ticked: the start's weekday
        other = "or start the series on another day of the month"
    else:
        weekdays = frozenset(schedule.weekdays)
        other = "or meet on other weekdays"
    if not weekdays:
        raise ScheduleProblem("weekdays", "Pick at least one weekday for a repeating meeting.")
    wrong = sorted(str(day) for day in weekdays if not _is_weekday(day))
    if wrong:
        raise ScheduleProblem(
            "weekdays",
            f"Weekdays are numbered 1 (Monday) to 7 (Sunday), not {', '.join(wrong)}: pick days in that range.",
        )
    if schedule.start > latest:
        raise ScheduleProblem(
            "date",
            f"That starts more than {MAX_YEARS_AHEAD} years ahead: pick a start no later than {_short_date(latest)}.",
        )
    checked = replace(schedule, weekdays=weekdays, at=at)
    first = max(today, schedule.start)
    for day in _days(checked, first, first + timedelta(days=horizon_days)):
        change = _change_at(day, at, tz)
        if change is not None:
            raise ScheduleProblem("time", f"{change.reason}. Pick a time outside {change.span()}, {other}.")
    return checked


# -- describing ---------------------------------------------------------------------------------------


def describe(schedule: Schedule, *, today: date | None = None) -> str:
    """Human text, e.g. "Every Tuesday and Thursday at 10:00 (Europe/Berlin)".

    A fortnightly series names its first meeting day ("from 2 March 2026"), which fixes its weeks;
    a weekly or monthly one ("Every month on the 2nd Tuesday at ...") does so only when `today` is
    given and the series has not begun by then.
    """
    clock = f"at {_hhmm(schedule.at)} ({schedule.tz})"
    if schedule.repeat is Repeat.ONCE:
        return f"Once, on {_long_date(schedule.start)} {clock}"
    if schedule.repeat is Repeat.MONTHLY:
        text = f"Every month on the {monthly_name(schedule.start)} {clock}"
        return f"{text}, from {_short_date(schedule.start)}" if today is not None and schedule.start > today else text
    weekdays = sorted(day for day in schedule.weekdays if _is_weekday(day))
    if not weekdays:
        return f"Never: no weekday chosen ({_hhmm(schedule.at)}, {schedule.tz})"
    names = _join([_WEEKDAY_NAMES[day - 1] for day in weekdays])
    first = next(_days(schedule, schedule.start, schedule.start + timedelta(weeks=3)))
    if schedule.repeat is Repeat.FORTNIGHTLY:
        head = "Every day of every other week" if len(weekdays) == 7 else f"Every other {names}"
        return f"{head} {clock}, from {_short_date(first)}"
    text = f"{'Every day' if len(weekdays) == 7 else f'Every {names}'} {clock}"
    return f"{text}, from {_short_date(first)}" if today is not None and first > today else text


def monthly_name(start: date) -> str:
    """The day a monthly series starting on `start` meets on, e.g. "2nd Tuesday" or "last Friday"."""
    return f"{_ORDINALS[monthly_position(start)]} {_WEEKDAY_NAMES[start.weekday()]}"


# -- helpers ------------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleProblem(
            "tz", f'Unknown time zone "{_quoted(name)}": use an IANA name such as Europe/Berlin or America/New_York.'
        ) from None


def _quoted(text: str, limit: int = 40) -> str:
    """A piece of what was typed, short enough to quote back in a message."""
    clean = " ".join(text.split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _clock(at: time) -> time:
    return at.replace(second=0, microsecond=0, tzinfo=None, fold=0)


def _is_weekday(day: object) -> bool:
    return isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 7


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.isoweekday() - 1)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _hhmm(clock: time) -> str:
    return f"{clock.hour:02d}:{clock.minute:02d}"


def _wall(moment: datetime, day: date) -> str:
    """A local wall-clock reading, with its date when that is not `day` (a change across midnight)."""
    clock = _hhmm(moment.time())
    return clock if moment.date() == day else f"{clock} on {_long_date(moment.date())}"


def _short_date(day: date) -> str:
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _long_date(day: date) -> str:
    return f"{_WEEKDAY_NAMES[day.weekday()]} {_short_date(day)}"


def _zone_name(tz: ZoneInfo) -> str:
    return tz.key if tz.key is not None else str(tz)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
