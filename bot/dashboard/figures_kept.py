"""Habit health's figures per week and quarter, counted once for the weeks and quarters that are over and kept
(storage.models.DashboardFigures), counted at each request for the ones under way and for those an entry
changed in since.

A year of a large workspace's entries is hundreds of thousands of rows: counting it at each request of an
ambassador's page took 0.6-0.7 s (bench/RESULTS.md, section 9). The weeks and quarters that are over do not
change unless an entry in them does, and the database's triggers (migration 0023) delete their kept figures
when that happens, whatever code changes it. Kept figures are therefore never older than the entries:

1. on PostgreSQL the workspace's advisory lock is taken exclusively, which waits for the transactions whose
   triggers already ran for the workspace (they hold it shared until they end) and holds back those to come;
   the spans to count are claimed (a row with no figures and this request's random token); committed, which
   lets the writers on;
2. the entries are counted (each statement sees every change committed before it began: all of those the lock
   waited for);
3. under the lock again, each span's figures are kept only if its row still bears the token: a change made
   after step 1 deleted it (its trigger ran after the claim was committed), and another request that claimed
   it since bears another token.

Writers meet the rows of `dashboard_figures` only after their trigger took the lock shared, and a request
changes those rows only under the lock held exclusively: their row locks never meet (no deadlock).

Only the workspace's figures are kept (ambassadors and admins, per time zone); a member's own are few and are
counted at each request."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.worktime import local_date, previous_quarter, quarter_bounds, quarter_of
from storage.repositories import dashboard as repo
from storage.repositories import dashboard_figures as kept_repo
from storage.repositories.dashboard_figures import QUARTER, WEEK, Span

log = logging.getLogger("mindset.dashboard")

T = TypeVar("T")

WEEKS = 52  # four quarters of weeks
QUARTERS = 4


@dataclass(frozen=True)
class QuarterFigures:
    kinds: repo.RangeKinds
    wait_days: float | None  # median days from a sorry to its root cause
    groups: tuple[tuple[int, int, int], ...]  # customer group id, entries, people
    areas: tuple[tuple[str, int, int], ...]  # area, entries, people


NOTHING = QuarterFigures(repo.RangeKinds(), None, (), ())


@dataclass(frozen=True)
class Counted:
    participation: tuple[int, ...]  # people who logged an entry, per week
    quarters: tuple[QuarterFigures, ...]
    kept: int = 0  # spans whose figures were read as kept (none counted)
    counted: int = 0  # spans counted from the entries


def spans(unit: str, bounds: Sequence[datetime]) -> list[Span]:
    return [Span(unit, bounds[at], bounds[at + 1]) for at in range(len(bounds) - 1)]


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The local midnight that begins `day` in `tz`, as a UTC moment."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Quarter:
    year: int
    quarter: int
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"


def last_quarters(today: date, tz: ZoneInfo, count: int = QUARTERS) -> list[Quarter]:
    """The quarter `today` is in and the ones before it, oldest first."""
    year, quarter = quarter_of(today)
    found = []
    for _ in range(count):
        first, last = quarter_bounds(year, quarter)
        found.append(Quarter(year, quarter, start_of_day(first, tz), start_of_day(last + timedelta(days=1), tz)))
        year, quarter = previous_quarter(year, quarter)
    return found[::-1]


def week_starts(today: date) -> list[date]:
    """The Mondays of the 52 weeks habit health shows, oldest first: this week's last."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=back) for back in range(WEEKS - 1, -1, -1)]


def week_spans(today: date, tz: ZoneInfo) -> list[Span]:
    """Habit health's 52 weeks on the viewer's local day `today`, oldest first."""
    mondays = week_starts(today)
    return spans(WEEK, [start_of_day(day, tz) for day in [*mondays, mondays[-1] + timedelta(weeks=1)]])


def quarter_spans(quarters: Sequence[Quarter]) -> list[Span]:
    return spans(QUARTER, [*(quarter.start for quarter in quarters), quarters[-1].end])


def _runs(wanted: Sequence[bool]) -> list[tuple[int, int]]:
    """The [start, end) index runs where `wanted` holds: each counted by one set of statements."""
    runs: list[tuple[int, int]] = []
    for at, want in enumerate(wanted):
        if not want:
            continue
        if runs and runs[-1][1] == at:
            runs[-1] = (runs[-1][0], at + 1)
        else:
            runs.append((at, at + 1))
    return runs


def _count_weeks(session: Session, team_id: str, author_id: str | None, zone: str, run: Sequence[Span]) -> list[int]:
    ranges = repo.Ranges((*(span.starts_at for span in run), run[-1].ends_at), WEEK, zone)
    return repo.participants_by_range(session, team_id=team_id, author_id=author_id, ranges=ranges)


def _count_quarters(
    session: Session, team_id: str, author_id: str | None, zone: str, run: Sequence[Span]
) -> list[QuarterFigures]:
    ranges = repo.Ranges((*(span.starts_at for span in run), run[-1].ends_at), QUARTER, zone)
    kinds, waits = repo.kinds_and_waits(session, team_id=team_id, author_id=author_id, ranges=ranges)
    groups: list[list[tuple[int, int, int]]] = [[] for _ in run]
    for split in repo.groups_by_range(session, team_id=team_id, author_id=author_id, ranges=ranges):
        if 0 <= split.index < len(run):
            groups[split.index].append((int(split.key), split.entries, split.people))
    areas: list[list[tuple[str, int, int]]] = [[] for _ in run]
    for split in repo.areas_by_range(session, team_id=team_id, author_id=author_id, ranges=ranges):
        if 0 <= split.index < len(run):
            areas[split.index].append((str(split.key), split.entries, split.people))
    return [
        QuarterFigures(kinds[at], waits[at], tuple(sorted(groups[at])), tuple(sorted(areas[at])))
        for at in range(len(run))
    ]


def _week_json(people: int) -> str:
    return json.dumps({"people": people})


def _week_read(figures: str) -> int:
    return int(json.loads(figures)["people"])


def _quarter_json(found: QuarterFigures) -> str:
    kinds = found.kinds
    return json.dumps(
        {
            "prouds": kinds.prouds,
            "sorries": kinds.sorries,
            "with_cause": kinds.sorries_with_cause,
            "wait_days": found.wait_days,
            "groups": [list(group) for group in found.groups],
            "areas": [list(area) for area in found.areas],
        }
    )


def _quarter_read(figures: str) -> QuarterFigures:
    data: dict[str, Any] = json.loads(figures)
    wait = data["wait_days"]
    return QuarterFigures(
        repo.RangeKinds(int(data["prouds"]), int(data["sorries"]), int(data["with_cause"])),
        None if wait is None else float(wait),
        tuple((int(g), int(n), int(p)) for g, n, p in data["groups"]),
        tuple((str(a), int(n), int(p)) for a, n, p in data["areas"]),
    )


def _fill(
    found: list[T | None],
    wanted: Sequence[Span],
    count: Callable[[Sequence[Span]], list[T]],
) -> None:
    for start, end in _runs([value is None for value in found]):
        for at, value in enumerate(count(wanted[start:end]), start):
            found[at] = value


def count(
    session: Session,
    *,
    team_id: str,
    author_id: str | None,
    zone: str,
    weeks: Sequence[Span],
    quarters: Sequence[Span],
    now: datetime,
    only_over: bool = False,
) -> Counted:
    """The participation of each week and the figures of each quarter; the workspace's (`author_id` None) read
    from what is kept for the spans that are over, the rest counted (and kept when over). `only_over`: count
    only the spans that are over and not kept, to keep them (the others are given as nothing)."""
    week_found: list[int | None] = [0 if only_over and span.ends_at > now else None for span in weeks]
    quarter_found: list[QuarterFigures | None] = [
        NOTHING if only_over and span.ends_at > now else None for span in quarters
    ]
    claimed: list[Span] = []
    token = ""
    read = 0
    if author_id is None:
        have = kept_repo.kept(session, team_id=team_id, zone=zone, spans=[*weeks, *quarters])
        for at, span in enumerate(weeks):
            if span in have:
                week_found[at] = _week_read(have[span])
        for at, span in enumerate(quarters):
            if span in have:
                quarter_found[at] = _quarter_read(have[span])
        read = sum(span in have for span in (*weeks, *quarters))
        claimed = [span for span in (*weeks, *quarters) if span not in have and span.ends_at <= now]
        token = _claim(session, team_id, zone, claimed) if claimed else ""
    to_count = sum(value is None for value in (*week_found, *quarter_found))
    _fill(week_found, weeks, lambda run: _count_weeks(session, team_id, author_id, zone, run))
    _fill(quarter_found, quarters, lambda run: _count_quarters(session, team_id, author_id, zone, run))
    participation = tuple(value or 0 for value in week_found)
    figures = tuple(value for value in quarter_found if value is not None)
    if token:
        _keep(session, team_id, zone, token, now, claimed, weeks, participation, quarters, figures)
    return Counted(participation, figures, kept=read, counted=to_count)


def _claim(session: Session, team_id: str, zone: str, claimed: Sequence[Span]) -> str:
    """Claim the spans and wait for the changes under way; "" when the database would not (then nothing is kept
    and everything is counted, as before there were kept figures)."""
    token = secrets.token_hex(16)
    try:
        kept_repo.hold_writers(session, team_id=team_id)
        kept_repo.claim(session, team_id=team_id, zone=zone, spans=claimed, token=token)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.warning("Could not claim the dashboard's figures of %s to keep them; counted only", team_id, exc_info=True)
        return ""
    return token


def _keep(
    session: Session,
    team_id: str,
    zone: str,
    token: str,
    now: datetime,
    claimed: Sequence[Span],
    weeks: Sequence[Span],
    participation: Sequence[int],
    quarters: Sequence[Span],
    figures: Sequence[QuarterFigures],
) -> None:
    counted = {
        **{span: _week_json(people) for span, people in zip(weeks, participation, strict=True)},
        **{span: _quarter_json(found) for span, found in zip(quarters, figures, strict=True)},
    }
    try:
        kept_repo.hold_writers(session, team_id=team_id)
        for span in claimed:
            kept_repo.fill(
                session, team_id=team_id, zone=zone, span=span, token=token, figures=counted[span], counted_at=now
            )
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        log.warning("Could not keep the dashboard's figures of %s; counted again next time", team_id, exc_info=True)


def keep(session: Session, *, team_id: str, zone: ZoneInfo, now: datetime) -> int:
    """Count and keep the workspace's habit-health figures, in this time zone, of the weeks and quarters that are
    over and not kept (the engine does it every five minutes for the zones of those who see the workspace, so that their
    first request after a change, or ever, reads them too). How many spans it counted."""
    today = local_date(now, zone)
    found = count(
        session,
        team_id=team_id,
        author_id=None,
        zone=zone.key,
        weeks=week_spans(today, zone),
        quarters=quarter_spans(last_quarters(today, zone)),
        now=now,
        only_over=True,
    )
    return found.counted
