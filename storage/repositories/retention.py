"""Pruning the tables that grow with every event and every nudge, whatever the workspaces keep: what Slack
sent (kept only to recognise its retries), deliveries long finished, OAuth states long expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, func, select
from sqlalchemy.orm import Session

from storage.models import DashboardFigures, Delivery, DeliveryStatus, ProcessedEvent, TimeChange, slack_oauth_states

FINISHED = (DeliveryStatus.SENT.value, DeliveryStatus.SKIPPED.value, DeliveryStatus.FAILED.value)
PRUNE_BATCH = 5_000  # rows deleted by one statement: a long deletion never holds a big transaction
# time changes kept (the newest): an engine reads those above the last it saw, a minute ago; a change is a
# person's zone, pause or leaving, or a workspace's calendar, so this is days or weeks of them
TIME_CHANGES_KEPT = 10_000
# the dashboard's kept figures of weeks and quarters that ended longer ago than this: no page shows them (the
# oldest it shows, the first of four quarters, ended less than a year ago)
DASHBOARD_FIGURES_KEPT_FOR = timedelta(days=400)


@dataclass(frozen=True)
class Pruned:
    processed_events: int = 0
    deliveries: int = 0
    oauth_states: int = 0
    time_changes: int = 0
    dashboard_figures: int = 0

    @property
    def more(self) -> bool:
        """A table gave a full batch: there may be more to delete."""
        return max(self.processed_events, self.deliveries, self.dashboard_figures) >= PRUNE_BATCH

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(
            self.processed_events + other.processed_events,
            self.deliveries + other.deliveries,
            self.oauth_states + other.oauth_states,
            self.time_changes + other.time_changes,
            self.dashboard_figures + other.dashboard_figures,
        )


def _delete_some(session: Session, table: Table, key: ColumnElement[int], where: ColumnElement[bool]) -> int:
    """Delete at most `PRUNE_BATCH` of the rows matching `where`, by their ids found through an index."""
    ids = select(key).where(where).limit(PRUNE_BATCH).scalar_subquery()
    return max(session.execute(delete(table).where(key.in_(ids))).rowcount or 0, 0)  # type: ignore[attr-defined]


def prune_some(
    session: Session, *, now: datetime, processed_events_before: datetime, deliveries_before: datetime
) -> Pruned:
    """At most `PRUNE_BATCH` rows of each table (the caller commits, and calls again while a table gave a full
    batch): events received before `processed_events_before` (Slack retries an event for minutes, not days),
    deliveries finished (sent, skipped, failed) whose last attempt was before `deliveries_before` (pending ones
    are kept however old), OAuth states expired by `now`, the time changes but the newest `TIME_CHANGES_KEPT`, and
    the dashboard's figures of ranges that ended `DASHBOARD_FIGURES_KEPT_FOR` ago.
    Each is found through an index: processed_events
    by received_at, deliveries by (status, next_attempt_at); the states are few (at most a few hundred live)."""
    events = ProcessedEvent.__table__
    deliveries = Delivery.__table__
    assert isinstance(events, Table) and isinstance(deliveries, Table)
    pruned_events = _delete_some(session, events, events.c.id, events.c.received_at < processed_events_before)
    pruned_deliveries = _delete_some(
        session,
        deliveries,
        deliveries.c.id,
        deliveries.c.status.in_(FINISHED) & (deliveries.c.next_attempt_at < deliveries_before),
    )
    naive_now = now.astimezone(UTC).replace(tzinfo=None)  # slack_sdk writes its times as naive UTC
    states = session.execute(delete(slack_oauth_states).where(slack_oauth_states.c.expire_at <= naive_now))
    newest = session.scalar(select(func.max(TimeChange.id)))
    changes = TimeChange.__table__
    assert isinstance(changes, Table)
    pruned_changes = (
        _delete_some(session, changes, changes.c.id, changes.c.id <= newest - TIME_CHANGES_KEPT)
        if newest is not None and newest > TIME_CHANGES_KEPT
        else 0
    )
    pruned_states = max(states.rowcount or 0, 0)  # type: ignore[attr-defined]
    figures = DashboardFigures.__table__
    assert isinstance(figures, Table)
    pruned_figures = _delete_some(session, figures, figures.c.id, figures.c.ends_at < now - DASHBOARD_FIGURES_KEPT_FOR)
    return Pruned(pruned_events, pruned_deliveries, pruned_states, pruned_changes, pruned_figures)
