"""The habit-health figures kept for complete weeks and quarters (storage.models.DashboardFigures): read, claimed,
filled, pruned. The triggers of migration 0023 delete a range's row when an entry in it changes; the protocol
that makes a kept row never older than the entries is in bot/dashboard/figures_kept.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import DashboardFigures

WEEK = "week"
QUARTER = "quarter"


@dataclass(frozen=True)
class Span:
    """One week or quarter of a time zone: its start and end as moments (the local midnights, in UTC)."""

    unit: str
    starts_at: datetime
    ends_at: datetime


def kept(session: Session, *, team_id: str, zone: str, spans: Sequence[Span]) -> dict[Span, str]:
    """The figures (JSON) kept for these spans: only rows counted to the end, for exactly these bounds."""
    if not spans:
        return {}
    wanted = set(spans)
    rows = session.execute(
        select(
            DashboardFigures.unit, DashboardFigures.starts_at, DashboardFigures.ends_at, DashboardFigures.figures
        ).where(
            DashboardFigures.team_id == team_id,
            DashboardFigures.zone == zone,
            DashboardFigures.starts_at >= min(span.starts_at for span in spans),
            DashboardFigures.starts_at <= max(span.starts_at for span in spans),
            DashboardFigures.figures.is_not(None),
        )
    )
    found = {}
    for unit, starts_at, ends_at, figures in rows:
        span = Span(unit, starts_at, ends_at)
        if span in wanted and figures is not None:
            found[span] = figures
    return found


def claim(session: Session, *, team_id: str, zone: str, spans: Sequence[Span], token: str) -> None:
    """Mark these spans as being counted by `token` (their figures, if any, set aside): whoever changes an entry
    in one from now on deletes its row, and `fill` then keeps nothing for it."""
    if not spans:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [
        {
            "team_id": team_id,
            "zone": zone,
            "unit": span.unit,
            "starts_at": span.starts_at,
            "ends_at": span.ends_at,
            "claim": token,
            "figures": None,
        }
        for span in spans
    ]
    for start in range(0, len(rows), 200):
        statement = insert(DashboardFigures).values(rows[start : start + 200])
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["team_id", "zone", "unit", "starts_at"],
                set_={
                    "ends_at": statement.excluded.ends_at,
                    "claim": statement.excluded.claim,
                    "figures": None,
                    "counted_at": None,
                },
            )
        )


def hold_writers(session: Session, *, team_id: str) -> None:
    """On PostgreSQL, take the workspace's advisory lock exclusively until the transaction ends: this waits for
    every transaction whose trigger already ran for the workspace's figures (they hold it shared until they
    end), and makes those that come next wait at their trigger, before they touch a row of `dashboard_figures`
    (so no row lock of theirs meets one of this transaction's: no deadlock). Commit soon. SQLite runs one writer
    at a time: nothing to do."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('dashboard_figures'), hashtext(:team))"), {"team": team_id}
        )


def fill(
    session: Session, *, team_id: str, zone: str, span: Span, token: str, figures: str, counted_at: datetime
) -> bool:
    """Keep the figures counted for a span claimed by `token`; False (nothing kept) if an entry of the span
    changed since the claim (a trigger deleted the row) or another request claimed it since."""
    result = session.execute(
        update(DashboardFigures)
        .where(
            DashboardFigures.team_id == team_id,
            DashboardFigures.zone == zone,
            DashboardFigures.unit == span.unit,
            DashboardFigures.starts_at == span.starts_at,
            DashboardFigures.claim == token,
        )
        .values(figures=figures, counted_at=counted_at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def prune(session: Session, *, ended_before: datetime) -> int:
    """Delete the figures of ranges that ended before `ended_before` (no page shows them any more)."""
    result = session.execute(
        delete(DashboardFigures)
        .where(DashboardFigures.ends_at < ended_before)
        .execution_options(synchronize_session=False)
    )
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
