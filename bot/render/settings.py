"""What `/mindset pause`, `resume`, `workdays` and `holidays` answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.services.people import DAY_NAMES, HolidayCard, WorkTime, example_holiday
from bot.slack_text import escape_mrkdwn

HOLIDAYS_SHOWN_MAX = 60


def day_label(day: date) -> str:
    return f"{day:%A %-d %B %Y}"


def paused(until: date) -> str:
    return (
        f":zzz: Your nudges are paused until *{day_label(until)}* (included); they start again on your "
        f"next working day after it. `/mindset resume` ends the pause earlier."
    )


def pause_status(until: date | None) -> str:
    if until is None:
        return (
            "Your nudges are not paused. `/mindset pause until YYYY-MM-DD` holds reminders and "
            "check-ins up to that day (for example during a holiday)."
        )
    return paused(until)


def resumed(was: date | None) -> str:
    if was is None:
        return "Your nudges were not paused, so nothing changed."
    return (
        f":arrow_forward: Welcome back! Your nudges are on again (the pause would have lasted until {day_label(was)})."
    )


def days_label(days: frozenset[int]) -> str:
    """`Monday to Friday`, `Sunday to Thursday`, `Monday, Wednesday and Friday`."""
    ordered = sorted(days)
    if len(ordered) == 7:
        return "every day"
    # a run of consecutive days, possibly wrapping past Sunday
    for first in ordered:
        run = [(first - 1 + step) % 7 + 1 for step in range(len(ordered))]
        if len(ordered) >= 3 and set(run) == days:
            return f"{DAY_NAMES[run[0] - 1]} to {DAY_NAMES[run[-1] - 1]}"
    names = [DAY_NAMES[day - 1] for day in ordered]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def work_time(current: WorkTime, *, changed: bool = False) -> str:
    when = f"*{days_label(current.days)}, {current.start:%H:%M} to {current.end:%H:%M}*"
    if changed:
        return f":white_check_mark: Working time is now {when}, in each person's own time zone. Nudges wait for it."
    return (
        f"Working time for nudges: {when}, in each person's own time zone. Change it with, for "
        "example, `/mindset workdays mon-fri 09:00-17:00`."
    )


def holiday_name(card: HolidayCard) -> str:
    return f" ({escape_mrkdwn(card.name)})" if card.name else ""


def holiday_added(card: HolidayCard) -> str:
    return f":palm_tree: {day_label(card.day)}{holiday_name(card)} is now a holiday: no nudges that day."


def holiday_removed(card: HolidayCard, work: WorkTime) -> str:
    if card.day.isoweekday() in work.days:
        return f"{day_label(card.day)}{holiday_name(card)} is a working day again."
    return (
        f"{day_label(card.day)}{holiday_name(card)} is no longer a holiday; it is a {DAY_NAMES[card.day.weekday()]}, "
        f"which is not a working day ({days_label(work.days)}), so there are still no nudges that day."
    )


def holidays_list(cards: Sequence[HolidayCard], *, today: date) -> str:
    if not cards:
        return (
            "No holidays to come. Add one with `/mindset holidays add YYYY-MM-DD [name]`, for example "
            f"`/mindset holidays add {example_holiday(today)} Christmas`; nudges wait until the next working day."
        )
    shown = cards[:HOLIDAYS_SHOWN_MAX]
    lines = "\n".join(f"• {day_label(card.day)}{holiday_name(card)}" for card in shown)
    more = f"\n…and {len(cards) - len(shown)} more." if len(cards) > len(shown) else ""
    return f"*Holidays to come ({len(cards)})*\n{lines}{more}\nRemove one with `/mindset holidays remove YYYY-MM-DD`."
