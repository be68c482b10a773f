"""Digest weeks: Monday to Monday in a reader's own time zone, named like 2027-W12."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.worktime import at_local, local_date, monday_of

_LABEL = re.compile(r"^(\d{4})-W(\d{1,2})$")


@dataclass(frozen=True)
class Week:
    """An ISO week on local dates: [Monday 00:00, next Monday 00:00) in `tz`."""

    monday: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return at_local(self.monday, time.min, self.tz)

    @property
    def end(self) -> datetime:
        return at_local(self.monday + timedelta(days=7), time.min, self.tz)

    @property
    def last_day(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def label(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    def shifted(self, weeks: int) -> Week:
        return Week(self.monday + timedelta(weeks=weeks), self.tz)

    @classmethod
    def containing(cls, moment: datetime, tz: ZoneInfo) -> Week:
        return cls(monday_of(local_date(moment, tz)), tz)

    @classmethod
    def parse(cls, text: str, tz: ZoneInfo) -> Week:
        """`2027-W12`; ValueError with a readable reason otherwise."""
        match = _LABEL.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a week like 2027-W12")
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            raise ValueError(f"{text!r} is not a week of that year") from None
        return cls(monday, tz)
