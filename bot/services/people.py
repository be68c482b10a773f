"""A person's pause of their nudges, and a workspace's working days, hours and holidays.

Parsing what people type (`2026-12-31`, `mon-fri 09:00-17:00`) lives here too, as pure functions
that raise `SettingsProblem` with the sentence to show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.deps import Deps
from bot.engine.directory import keep_user
from bot.services import admins
from bot.worktime import DEFAULT_WORK_DAYS, local_date, parse_work_days, zone
from storage.repositories import people as people_repo
from storage.repositories import workspaces as workspaces_repo

PAUSE_MAX_DAYS = 366  # "up to a year ahead"
HOLIDAY_MAX_YEARS_AHEAD = 3
HOLIDAY_NAME_MAX = 100
UPCOMING_HOLIDAYS_MAX = 100
DEFAULT_START = time(9, 0)
DEFAULT_END = time(17, 0)

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def example_day(today: date) -> date:
    """A date for examples, two weeks ahead: examples written with fixed dates go stale."""
    return today + timedelta(days=14)


def example_holiday(today: date) -> date:
    """The next 25 December, for examples of holidays."""
    this_year = date(today.year, 12, 25)
    return this_year if this_year > today else date(today.year + 1, 12, 25)


class SettingsProblem(ValueError):
    """Input that cannot be used, with the sentence that says why and what to type instead."""


# -- parsing what people type --------------------------------------------------------------------

_RELATIVE_DAYS = {"today": 0, "tomorrow": 1, "yesterday": -1}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_day(text: str, today: date) -> date:
    """`YYYY-MM-DD`, or `today` / `tomorrow` / `yesterday`."""
    word = (text or "").strip().lower()
    if not word:
        raise SettingsProblem(f"Give a date as YYYY-MM-DD, for example `{example_day(today)}`.")
    if word in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[word])
    match = _ISO_DATE.match(word)
    if match is None:
        raise SettingsProblem(
            f"`{_shown(text)}` is not a date I can read. Write it as YYYY-MM-DD, for example `{example_day(today)}`."
        )
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise SettingsProblem(
            f"`{_shown(text)}` is not a day of the calendar. Write it as YYYY-MM-DD, "
            f"for example `{example_day(today)}`."
        ) from None


_DAY_WORDS = {name[:3].lower(): number for number, name in enumerate(DAY_NAMES, start=1)}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_TIME_RANGE = re.compile(r"(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})")
WORKDAYS_EXAMPLE = "`mon-fri 09:00-17:00`, `mon,tue,wed,thu 08:30-16:30` or `sun-thu 8:00-16:00`"


def _day_number(word: str) -> int:
    key = word.strip().lower().rstrip(".")
    if not key:
        raise SettingsProblem(f"A range of days needs a first and a last day: {WORKDAYS_EXAMPLE}.")
    if len(key) >= 3 and key[:3] in _DAY_WORDS and DAY_NAMES[_DAY_WORDS[key[:3]] - 1].lower().startswith(key):
        return _DAY_WORDS[key[:3]]
    raise SettingsProblem(
        f"`{_shown(word)}` is not a day of the week. Use mon, tue, wed, thu, fri, sat, sun: {WORKDAYS_EXAMPLE}."
    )


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,tue,thu`, `sun-thu` (a range may wrap around the weekend) as ISO weekdays."""
    days: set[int] = set()
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        bounds = re.split(r"[-–—]", part)
        if len(bounds) == 1:
            days.add(_day_number(bounds[0]))
        elif len(bounds) == 2:
            first, last = _day_number(bounds[0]), _day_number(bounds[1])
            day = first
            while True:
                days.add(day)
                if day == last:
                    break
                day = day % 7 + 1
        else:
            raise SettingsProblem(f"`{_shown(part)}` is not a range of days. Try {WORKDAYS_EXAMPLE}.")
    if not days:
        raise SettingsProblem(f"Name at least one working day: {WORKDAYS_EXAMPLE}.")
    return frozenset(days)


def parse_clock(text: str) -> time:
    match = _TIME.match(text.strip())
    if match is None:
        raise SettingsProblem(f"`{_shown(text)}` is not a time. Write times as HH:MM on a 24-hour clock, like 09:00.")
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise SettingsProblem(f"`{_shown(text)}` is not a time of day: hours go from 00 to 23, minutes from 00 to 59.")
    return time(hour, minute)


@dataclass(frozen=True)
class WorkTimeChange:
    """What `workdays …` asked for; None keeps the current value."""

    days: frozenset[int] | None
    start: time | None
    end: time | None


def parse_work_time(text: str) -> WorkTimeChange:
    """`mon-fri 09:00-17:00`, or only the days (`mon-thu`), or only the hours (`08:30-16:30`)."""
    rest = (text or "").strip()
    if not rest:
        raise SettingsProblem(f"Say which days and hours, for example {WORKDAYS_EXAMPLE}.")
    start = end = None
    hours = _TIME_RANGE.search(rest)
    if hours is not None:
        start, end = parse_clock(hours[1]), parse_clock(hours[2])
        rest = (rest[: hours.start()] + " " + rest[hours.end() :]).strip()
    elif re.search(r"\d", rest):
        raise SettingsProblem(f"Write the hours as a range on a 24-hour clock, like 09:00-17:00: {WORKDAYS_EXAMPLE}.")
    days = parse_days(rest) if rest else None
    return WorkTimeChange(days, start, end)


def escape_text(text: str) -> str:
    """A stored name, safe to show in a message: no ping or link can form."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shown(text: str) -> str:
    """A piece of what was typed, safe to quote back in code style."""
    clean = " ".join(text.split())[:40]
    return clean.replace("`", "'").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- pausing a person's nudges --------------------------------------------------------------------


def user_changed(deps: Deps, *, team_id: str, user: Mapping[str, object]) -> bool:
    """Slack says a person changed (`user_change`): a new time zone, left the workspace, a new role. Kept at
    once for someone the bot already knows, so their nudges follow their new zone from the next tick rather
    than after the weekly `users.info`; nothing is stored of anyone else. True when their time changed."""
    user_id = user.get("id")
    if not isinstance(user_id, str):
        return False
    with deps.session_factory() as session:
        row = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        if row is None:
            return False
        changed = keep_user(session, row, user, deps.clock())
        session.commit()
    return changed


def _today(session: Session, deps: Deps, *, team_id: str, user_id: str) -> date:
    """The person's local date (UTC until the bot has read their time zone)."""
    person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
    return local_date(deps.clock(), zone(person.tz if person else None))


def today_of(deps: Deps, *, team_id: str, user_id: str) -> date:
    with deps.session_factory() as session:
        return _today(session, deps, team_id=team_id, user_id=user_id)


def latest_pause(today: date) -> date:
    return today + timedelta(days=PAUSE_MAX_DAYS)


def pause_until(deps: Deps, *, team_id: str, user_id: str, day: date) -> date:
    """Hold the person's nudges up to and including `day` (today up to a year ahead)."""
    with deps.session_factory() as session:
        today = _today(session, deps, team_id=team_id, user_id=user_id)
        if day < today:
            raise SettingsProblem(
                f"{day:%-d %B %Y} is in the past. Pick a day from today ({today.isoformat()}) on; "
                "your nudges wait until the day after it."
            )
        if day > latest_pause(today):
            raise SettingsProblem(
                f"That is more than a year ahead. Pick {latest_pause(today).isoformat()} or earlier "
                "(you can pause again later)."
            )
        # race-safe: a row the engine adds meanwhile (reading the time zone) is the one changed
        person = people_repo.get_or_add_person(session, team_id=team_id, user_id=user_id)
        people_repo.set_paused_until(session, person=person, day=day)
        session.commit()
        return day


def resume(deps: Deps, *, team_id: str, user_id: str) -> date | None:
    """End the pause; returns the day it would have lasted to, or None when nothing was paused."""
    with deps.session_factory() as session:
        today = _today(session, deps, team_id=team_id, user_id=user_id)
        person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        if person is None or person.paused_until is None:
            return None
        was = person.paused_until
        people_repo.set_paused_until(session, person=person, day=None)
        session.commit()
        return was if was >= today else None


def get_pause(deps: Deps, *, team_id: str, user_id: str) -> date | None:
    """The last day of the person's pause, or None when their nudges are not paused (any more)."""
    with deps.session_factory() as session:
        today = _today(session, deps, team_id=team_id, user_id=user_id)
        person = people_repo.get_person(session, team_id=team_id, user_id=user_id)
        if person is None or person.paused_until is None or person.paused_until < today:
            return None
        return person.paused_until


# -- a workspace's working days and hours ----------------------------------------------------------


@dataclass(frozen=True)
class WorkTime:
    days: frozenset[int]
    start: time
    end: time


def _work_time_of(session: Session, team_id: str) -> WorkTime:
    workspace = workspaces_repo.get_workspace(session, team_id=team_id)
    if workspace is None:
        return WorkTime(DEFAULT_WORK_DAYS, DEFAULT_START, DEFAULT_END)
    return WorkTime(parse_work_days(workspace.work_days) or DEFAULT_WORK_DAYS, workspace.work_start, workspace.work_end)


def get_work_time(deps: Deps, *, team_id: str) -> WorkTime:
    with deps.session_factory() as session:
        return _work_time_of(session, team_id)


def check_work_time(days: Iterable[int], start: time, end: time) -> WorkTime:
    chosen = frozenset(days)
    if not chosen:
        raise SettingsProblem(f"Name at least one working day: {WORKDAYS_EXAMPLE}.")
    if not chosen <= set(range(1, 8)):
        raise SettingsProblem("Working days are ISO weekdays, 1 (Monday) to 7 (Sunday).")
    if start >= end:
        raise SettingsProblem(
            f"Work has to start before it ends ({start:%H:%M} is not before {end:%H:%M}); "
            "hours over midnight are not supported."
        )
    return WorkTime(chosen, start, end)


def work_time_value(work: WorkTime) -> str:
    """As the record of changes keeps it: ISO weekdays and hours, `1,2,3,4,5 09:00-17:00`."""
    return f"{','.join(str(day) for day in sorted(work.days))} {work.start:%H:%M}-{work.end:%H:%M}"


def set_work_time(deps: Deps, *, team_id: str, by: str, days: Iterable[int], start: time, end: time) -> WorkTime:
    wanted = check_work_time(days, start, end)
    with deps.session_factory() as session:
        was = _work_time_of(session, team_id)
        # race-safe: a row another request adds meanwhile is the one changed
        workspace = workspaces_repo.get_or_add_workspace(session, team_id=team_id)
        if was != wanted:
            admins.record(
                session, team_id=team_id, by=by, setting=admins.WORK_TIME, old=work_time_value(was),
                new=work_time_value(wanted), now=deps.clock(),
            )  # fmt: skip
        workspaces_repo.set_work_time(
            session,
            workspace=workspace,
            work_days=",".join(str(day) for day in sorted(wanted.days)),
            start=wanted.start,
            end=wanted.end,
        )
        session.commit()
        return wanted


def change_work_time(deps: Deps, *, team_id: str, by: str, change: WorkTimeChange) -> WorkTime:
    """Apply what `workdays …` asked for, keeping whatever it did not mention."""
    current = get_work_time(deps, team_id=team_id)
    return set_work_time(
        deps,
        team_id=team_id,
        by=by,
        days=change.days if change.days is not None else current.days,
        start=change.start or current.start,
        end=change.end or current.end,
    )


# -- holidays -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolidayCard:
    day: date
    name: str | None


def _clean_holiday_name(name: str | None) -> str | None:
    clean = " ".join((name or "").split())
    if len(clean) > HOLIDAY_NAME_MAX:
        raise SettingsProblem(f"Keep the holiday's name to {HOLIDAY_NAME_MAX} characters (this one has {len(clean)}).")
    return clean or None


def latest_holiday(today: date) -> date:
    try:
        return today.replace(year=today.year + HOLIDAY_MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + HOLIDAY_MAX_YEARS_AHEAD, day=28)


def holiday_value(card: HolidayCard) -> str:
    return f"{card.day.isoformat()} {card.name}" if card.name else card.day.isoformat()


def add_holiday(deps: Deps, *, team_id: str, by: str, day: date, name: str | None, today: date) -> HolidayCard:
    """Make `day` a non-working day of the workspace; a day that already is one is refused."""
    clean = _clean_holiday_name(name)
    if day < today:
        raise SettingsProblem(f"{day:%-d %B %Y} has already passed; holidays only matter for days to come.")
    if day > latest_holiday(today):
        raise SettingsProblem(
            f"That is more than {HOLIDAY_MAX_YEARS_AHEAD} years ahead; "
            f"add holidays up to {latest_holiday(today).isoformat()}."
        )
    with deps.session_factory() as session:
        upcoming = workspaces_repo.list_holidays(session, team_id=team_id, since=today)
        if len(upcoming) >= UPCOMING_HOLIDAYS_MAX and all(holiday.day != day for holiday in upcoming):
            raise SettingsProblem(
                f"The workspace already has {UPCOMING_HOLIDAYS_MAX} holidays to come; remove some before adding more."
            )
        try:
            holiday = workspaces_repo.add_holiday(session, team_id=team_id, day=day, name=clean)
            card = HolidayCard(holiday.day, holiday.name)
            admins.record(
                session, team_id=team_id, by=by, setting=admins.HOLIDAY_ADDED, old=None, new=holiday_value(card),
                now=deps.clock(),
            )  # fmt: skip
            session.commit()
        except workspaces_repo.HolidayTaken as taken:
            raise SettingsProblem(_already(taken.holiday.day, taken.holiday.name)) from None
        except IntegrityError:  # added by someone else at the same moment
            session.rollback()
            raise SettingsProblem(_already(day, None)) from None
        return card


def _already(day: date, name: str | None) -> str:
    called = f" ({escape_text(name)})" if name else ""
    return f"{day:%A %-d %B %Y} is already a holiday{called}; nothing changed."


def remove_holiday(deps: Deps, *, team_id: str, by: str, day: date) -> HolidayCard:
    with deps.session_factory() as session:
        holiday = workspaces_repo.get_holiday(session, team_id=team_id, day=day)
        if holiday is None:
            raise SettingsProblem(f"{day:%A %-d %B %Y} is not a holiday of this workspace; nothing changed.")
        card = HolidayCard(holiday.day, holiday.name)
        workspaces_repo.remove_holiday(session, holiday=holiday)
        admins.record(
            session, team_id=team_id, by=by, setting=admins.HOLIDAY_REMOVED, old=holiday_value(card), new=None,
            now=deps.clock(),
        )  # fmt: skip
        session.commit()
        return card


def list_holidays(deps: Deps, *, team_id: str, since: date | None = None) -> Sequence[HolidayCard]:
    """The workspace's holidays (from `since` on, if given), earliest first."""
    with deps.session_factory() as session:
        return [
            HolidayCard(holiday.day, holiday.name)
            for holiday in workspaces_repo.list_holidays(session, team_id=team_id, since=since)
        ]
