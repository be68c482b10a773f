"""The delivery engine: asks the database what is due, claims it, sends it, records the outcome.

APScheduler only calls `tick()`; every decision is made from the database, so restarts and extra
engine processes never send a nudge twice, and a claim whose send failed is retried later.
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import metrics, slack_errors
from bot.dashboard import figures_kept
from bot.dashboard.access import workspace_viewer_zones
from bot.digest.shared import DIGEST_FRESH_FOR, SharedDigests
from bot.engine.channel_directory import CHANNEL_FRESH_FOR, refresh_channel
from bot.engine.directory import Directory, Known, people_needing_refresh, refresh_person
from bot.engine.memo import HELD, TICK_MEMO
from bot.engine.planners import PLANNERS, Planner
from bot.engine.senders import SENDERS, AssignedHistory, NotYet, Occasion, Sender, prefetch_cards, read_assigned
from bot.engine.uploads import UploadQueue
from bot.logs import log_context
from bot.services.actions import ActionCard
from bot.worktime import zone
from storage.db import SessionFactory
from storage.models import Delivery
from storage.repositories import channels as channels_repo
from storage.repositories import deliveries as deliveries_repo
from storage.repositories import retention as retention_repo
from storage.repositories.retention import Pruned

log = logging.getLogger("mindset.engine")

MAX_ATTEMPTS = 20
MAX_BACKOFF = timedelta(hours=1)
# deliveries of a batch sent side by side, overlapping their waits on the database and on Slack
# (bench/RESULTS.md: +35 % on PostgreSQL; beyond that one engine is bound by its own CPU)
SEND_THREADS = 4
# what was read for a claimed batch (workspaces, recipients, action items) stands in for reading it
# again before each send while younger than this; a delivery sent later (Slack slow or rate-limiting)
# reads afresh (bench/RESULTS.md: reading per batch instead of per delivery is what reaches 200/s)
PREFETCH_FRESH_FOR = timedelta(seconds=5)
# how long the channels the digests may quote from are taken as they were found (finding them reads the last
# five weeks of entries of every digest workspace; each channel is checked at most twice a day anyway)
CHANNELS_ASKED_EVERY = timedelta(minutes=30)
DASHBOARD_FIGURES_EVERY = timedelta(minutes=5)  # one read per workspace and zone when nothing is missing


@dataclass(frozen=True)
class Retention:
    """How long the log-like tables keep their rows (README: Settings), and how often they are pruned."""

    processed_events: timedelta = timedelta(days=7)
    deliveries: timedelta = timedelta(days=90)
    every: timedelta = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failed attempt, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Batch:
    """Deliveries claimed together, and what was read for them at the same moment."""

    deliveries: list[Delivery]
    known: Known
    cards: dict[tuple[str, int], ActionCard | None]
    read_at: datetime
    assigned: AssignedHistory | None = None


@dataclass
class TickReport:
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    people_refreshed: int = 0
    uploaded: int = 0  # files sent with the tick's messages (a digest's chart)
    uploads_lost: int = 0  # given up on after waiting out Slack's rate limits (bot/engine/uploads.py)
    dashboard_figures: int = 0  # weeks and quarters whose habit-health figures were counted and kept
    errors: list[str] = field(default_factory=list)

    def add(self, other: TickReport) -> None:
        self.sent += other.sent
        self.skipped += other.skipped
        self.retried += other.retried
        self.failed += other.failed
        self.errors += other.errors


class NudgeEngine:
    def __init__(
        self,
        *,
        session_factory: SessionFactory,
        client_for: Callable[[str], WebClient | None],
        forget_client: Callable[[str], None] | None = None,
        clock: Callable[[], datetime],
        worker_id: str | None = None,
        planners: Sequence[Planner] = PLANNERS,
        senders: dict[str, Sender] | None = None,
        batch_size: int = 200,
        lease: timedelta = timedelta(minutes=5),
        max_people_per_tick: int = 200,
        send_threads: int = SEND_THREADS,
        prefetch_fresh_for: timedelta = PREFETCH_FRESH_FOR,
        retention: Retention | None = Retention(),
        make_uploads: Callable[[], UploadQueue] = UploadQueue,
        keep_dashboard_figures: bool = False,
    ) -> None:
        self.session_factory = session_factory
        self.client_for = client_for
        self.forget_client = forget_client
        self.clock = clock
        self.worker_id = worker_id or default_worker_id()
        self.planners = planners
        self.senders = senders if senders is not None else SENDERS
        self.batch_size = batch_size
        self.lease = lease
        self.max_people_per_tick = max_people_per_tick
        self.send_threads = max(1, send_threads)
        self.prefetch_fresh_for = prefetch_fresh_for  # zero: read everything before each send
        self.retention = retention  # None: nothing is pruned
        self._pruned_at: datetime | None = None
        self._channels_asked_at: datetime | None = None
        self._held: dict[str, tuple[object, datetime, object]] = {}  # see memo.held_for
        self.make_uploads = make_uploads
        # count, every five minutes, the dashboard's habit-health figures of weeks and quarters that are over and
        # not kept (bot/dashboard/figures_kept.py), so that no ambassador's request has to count a year of entries
        self.keep_dashboard_figures = keep_dashboard_figures
        self._figures_kept_at: datetime | None = None
        # the part of a week's digest every reader in a workspace and time zone shares, composed once for all
        # the readers due together and reused for a minute (no prefetching at all: each digest composed alone)
        self.digests = SharedDigests(fresh_for=DIGEST_FRESH_FOR, clock=clock) if prefetch_fresh_for else None

    # -- one tick ------------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> TickReport:
        """Refresh time zones, plan what is due, and deliver it. Safe to run in several processes."""
        now = now or self.clock()
        report = TickReport()
        memo = TICK_MEMO.set({})  # each planner's query runs once this tick (whom it needs, then what is due)
        held = HELD.set(self._held)  # and what changes slowly, once in a while
        try:
            return self._tick(now, report)
        finally:
            HELD.reset(held)
            TICK_MEMO.reset(memo)

    def _tick(self, now: datetime, report: TickReport) -> TickReport:
        with log_context(job="tick"):
            report.people_refreshed = self.refresh_people(now)
            self.refresh_channels(now)
            report.planned = self.plan(now)
            lock = threading.Lock()
            uploads = self.make_uploads()  # files of the messages sent, uploaded after the messages

            def deliver(batch: Batch, deliveries: list[Delivery]) -> None:
                mine = TickReport()
                for delivery in deliveries:
                    with log_context(team=delivery.team_id, job=f"delivery:{delivery.id} {delivery.kind}"):
                        self._deliver(delivery, now, mine, batch, uploads)
                with lock:
                    report.add(mine)

            # every delivery of a batch is claimed by this engine alone and renews its own claim just before
            # it is sent, so recipients are served side by side; one recipient's messages go out one after
            # the other, in the order they were claimed
            with ThreadPoolExecutor(self.send_threads, thread_name_prefix="deliver") as pool:
                while True:
                    batch = self._claim(now)
                    if not batch.deliveries:
                        break
                    by_recipient: dict[tuple[str, str], list[Delivery]] = {}
                    for delivery in batch.deliveries:
                        by_recipient.setdefault((delivery.team_id, delivery.recipient), []).append(delivery)
                    list(pool.map(deliver, itertools.repeat(batch), by_recipient.values()))
                    if len(batch.deliveries) < self.batch_size:
                        break
            if len(uploads):
                with log_context(job="uploads"):
                    report.uploaded, report.uploads_lost = uploads.run()
            if self.retention is not None and (
                self._pruned_at is None or now - self._pruned_at >= self.retention.every
            ):
                self.prune(now)
            if self.keep_dashboard_figures and (
                self._figures_kept_at is None or now - self._figures_kept_at >= DASHBOARD_FIGURES_EVERY
            ):
                report.dashboard_figures = self.keep_figures(now)
        return report

    def keep_figures(self, now: datetime) -> int:
        """Count and keep the habit-health figures the dashboard's next requests would count: per installed
        workspace, in the time zone of each person who sees its aggregates. How many weeks and quarters."""
        self._figures_kept_at = now
        try:
            with self.session_factory() as session:
                zones = workspace_viewer_zones(session)
        except Exception:
            log.exception("Could not read whose dashboard figures to keep; the next pass will try again")
            return 0
        counted = 0
        for team_id, keys in sorted(zones.items()):
            for key in sorted(keys):
                with log_context(team=team_id, job="dashboard figures"):
                    try:
                        with self.session_factory() as session:
                            counted += figures_kept.keep(session, team_id=team_id, zone=zone(key), now=now)
                    except Exception:
                        log.exception("Could not keep the dashboard's figures in %s; the next pass will try again", key)
        return counted

    def prune(self, now: datetime) -> Pruned:
        """Delete what the log-like tables keep past their retention, a batch per transaction. A failure is
        logged and tried again at the next tick; it never stops the sending."""
        assert self.retention is not None
        total = Pruned()
        try:
            while True:
                with self.session_factory() as session:
                    some = retention_repo.prune_some(
                        session,
                        now=now,
                        processed_events_before=now - self.retention.processed_events,
                        deliveries_before=now - self.retention.deliveries,
                    )
                    session.commit()
                total += some
                if not some.more:
                    break
        except Exception:
            log.exception("Could not prune the old events and deliveries; the next tick will try again")
            return total
        self._pruned_at = now
        if any((total.processed_events, total.deliveries, total.oauth_states, total.time_changes)) or (
            total.dashboard_figures
        ):
            log.info(
                "Pruned %d processed events, %d finished deliveries, %d expired OAuth states, %d time changes, "
                "%d dashboard figures",
                total.processed_events,
                total.deliveries,
                total.oauth_states,
                total.time_changes,
                total.dashboard_figures,
            )
        return total

    def refresh_people(self, now: datetime) -> int:
        """Learn the time zone of everyone a nudge may be for (users.info), at most weekly each."""
        return self._refresh(
            now,
            wanted=lambda session: self._wanted(session, now, lambda planner: planner.people),
            stale=lambda session, wanted: people_needing_refresh(session, wanted, now),
            refresh=refresh_person,
            what="the time zone of",
        )

    def refresh_channels(self, now: datetime) -> int:
        """Learn which channels a digest may quote from (conversations.info), at most twice a day each."""
        return self._refresh(
            now,
            wanted=lambda session: self._channels_wanted(session, now),
            stale=lambda session, wanted: channels_repo.stale(
                session, wanted=wanted, now=now, fresh_for=CHANNEL_FRESH_FOR
            ),
            refresh=refresh_channel,
            what="channel",
        )

    def _channels_wanted(self, session: Session, now: datetime) -> set[tuple[str, str]]:
        """The channels the planners need known, asked at most every `CHANNELS_ASKED_EVERY` (finding them reads
        weeks of entries): in between, none (a channel first used meanwhile counts as private until then)."""
        if self._channels_asked_at is not None and timedelta(0) <= now - self._channels_asked_at < CHANNELS_ASKED_EVERY:
            return set()
        self._channels_asked_at = now
        return self._wanted(session, now, lambda planner: planner.channels)

    def _wanted(
        self,
        session: Session,
        now: datetime,
        part: Callable[[Planner], Callable[[Session, datetime], Iterable[tuple[str, str]]]],
    ) -> set[tuple[str, str]]:
        """What the planners need known. This only reads: a planner whose query fails is logged and counted,
        and the transaction it spoiled (PostgreSQL aborts it) is rolled back for the next planner to read on."""
        wanted: set[tuple[str, str]] = set()
        for planner in self.planners:
            try:
                wanted.update(part(planner)(session, now))
            except Exception:
                session.rollback()
                _planner_failed(planner, "refresh")
        return wanted

    def _refresh(
        self,
        now: datetime,
        *,
        wanted: Callable[[Session], set[tuple[str, str]]],
        stale: Callable[[Session, set[tuple[str, str]]], list[tuple[str, str]]],
        refresh: Callable[[Session, WebClient, str, str, datetime], object],
        what: str,
    ) -> int:
        """Ask Slack about what the planners need and is not known (or is old), a bounded number per tick."""
        with self.session_factory() as session:
            todo = stale(session, wanted(session))[: self.max_people_per_tick]
        refreshed = 0
        job = getattr(refresh, "__name__", "refresh")
        for team_id, key in todo:
            client = self.client_for(team_id)
            if client is None:
                continue  # not installed there (any more)
            with log_context(team=team_id, job=f"{job} {key}"):
                try:
                    with self.session_factory() as session:
                        refresh(session, client, team_id, key, now)
                        session.commit()
                    refreshed += 1
                except IntegrityError:
                    # another engine added this row at the same moment: its answer is as good as ours
                    log.debug("%s %s in %s was just refreshed by another engine", what, key, team_id)
                except Exception:
                    log.warning("Could not read %s %s in %s; will try again", what, key, team_id, exc_info=True)
        return refreshed

    def plan(self, now: datetime) -> int:
        """Every planner in a savepoint of its own: one that fails (a bug, a database error that aborts
        PostgreSQL's transaction) is rolled back alone, logged and counted, and the others' plans are kept."""
        planned = 0
        with self.session_factory() as session:
            directory = Directory(session)
            for planner in self.planners:
                try:
                    with session.begin_nested():
                        due = planner.plan(session, now, directory)
                        added = deliveries_repo.plan(session, planned=due)
                except Exception:
                    _planner_failed(planner, "plan")
                    self._held.clear()  # what a planner keeps between reads may count plans rolled back
                    continue
                planned += added
            try:
                session.commit()
            except Exception:
                self._held.clear()  # nothing of this tick's plans was kept: read everything again next tick
                raise
        return planned

    def _claim(self, now: datetime) -> Batch:
        """Claim the next due deliveries, and read what their senders will need in the same transaction."""
        with self.session_factory() as session:
            claimed = deliveries_repo.claim_due(
                session, now=now, worker=self.worker_id, limit=self.batch_size, lease=self.lease
            )
            if self.prefetch_fresh_for and claimed:
                known = Known.read(session, {(delivery.team_id, delivery.recipient) for delivery in claimed})
                cards = prefetch_cards(session, claimed)
                assigned: AssignedHistory | None = read_assigned(session, claimed)
            else:
                known, cards, assigned = Known(), {}, None
            session.commit()
        for delivery in claimed:
            metrics.NUDGES_CLAIMED.labels(delivery.kind).inc()
        return Batch(claimed, known, cards, self.clock(), assigned)

    # -- one delivery --------------------------------------------------------------------------

    def _claim_is_fresh(self, delivery: Delivery, at: datetime) -> bool:
        return delivery.claimed_at is not None and at - delivery.claimed_at < self.lease / 2

    def _deliver(
        self, delivery: Delivery, now: datetime, report: TickReport, batch: Batch, uploads: UploadQueue
    ) -> None:
        sender = self.senders.get(delivery.kind)
        # what was read with the claim, unless that was too long ago to decide on now
        fresh = batch if self.clock() - batch.read_at < self.prefetch_fresh_for else None
        with self.session_factory() as session:
            if sender is None:
                deliveries_repo.mark_failed(
                    session, delivery_id=delivery.id, worker=self.worker_id, error="unknown kind"
                )
                session.commit()
                report.failed += 1
                metrics.NUDGES_FAILED.labels(delivery.kind).inc()
                return
            directory = Directory(session, fresh.known if fresh else None)
            client = self.client_for(delivery.team_id)
            if client is None or not directory.installed(delivery.team_id):
                deliveries_repo.mark_skipped(
                    session, delivery_id=delivery.id, worker=self.worker_id, reason="workspace not installed"
                )
                session.commit()
                report.skipped += 1
                metrics.NUDGES_SKIPPED.labels(delivery.kind).inc()
                return
            try:
                message = sender(
                    Occasion(
                        session,
                        delivery,
                        directory,
                        now,
                        fresh.cards if fresh else {},
                        self.digests,
                        fresh.assigned if fresh else None,
                    )
                )
            except NotYet as early:
                session.rollback()
                deliveries_repo.mark_retry(
                    session, delivery_id=delivery.id, worker=self.worker_id, at=early.at, error="not yet", tried=False
                )
                session.commit()
                metrics.NUDGES_POSTPONED.labels(delivery.kind).inc()
                return
            except Exception as error:
                log.exception("Could not prepare %s %s for %s", delivery.kind, delivery.subject, delivery.recipient)
                session.rollback()
                self._retry(delivery, now, f"prepare: {error}", report)
                return
            if message is None:
                deliveries_repo.mark_skipped(
                    session, delivery_id=delivery.id, worker=self.worker_id, reason="no longer relevant"
                )
                session.commit()
                report.skipped += 1
                metrics.NUDGES_SKIPPED.labels(delivery.kind).inc()
                return
            # A long tick (slow Slack, a big batch) may outlive the lease taken when the batch was
            # claimed: past half the lease, renew it now, and leave the delivery alone if another engine
            # has taken it over. Before that no other engine may take it over, so the write is saved.
            # (The commit also keeps what the sender wrote, such as a meeting's prompt.)
            sending_at = max(now, self.clock())
            renewed = self._claim_is_fresh(delivery, sending_at) or deliveries_repo.renew_claim(
                session, delivery_id=delivery.id, worker=self.worker_id, now=sending_at
            )
            session.commit()
            if not renewed:
                log.warning("Delivery %s was taken over by another engine before it was sent", delivery.id)
                return
        try:
            if message.complete is not None:
                message = message.complete(client)
            result = client.chat_postMessage(
                channel=delivery.recipient,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            code = str(error.response.get("error") or "") if error.response is not None else ""
            status = error.response.status_code if error.response is not None else 0
            if code in slack_errors.PERMANENT:
                with self.session_factory() as session:
                    recorded = deliveries_repo.mark_failed(
                        session, delivery_id=delivery.id, worker=self.worker_id, error=code
                    )
                    if recorded and message.after_refused is not None:
                        # what the refusal means for the subject (an entry that cannot be posted there)
                        message.after_refused(session, code)
                    session.commit()
                report.failed += 1
                metrics.NUDGES_FAILED.labels(delivery.kind).inc()
                log.info("Gave up on %s to %s: %s", delivery.kind, delivery.recipient, code)
                return
            if code in slack_errors.TOKEN_REFUSED and self.forget_client is not None:
                # an uninstalled workspace gets nothing (its deliveries are skipped before sending), so this is
                # a token cached before a reinstall, or a revocation not yet announced: next time, the database's
                self.forget_client(delivery.team_id)
            retry_after = _retry_after(error) if status == 429 else None
            self._retry(delivery, now, f"slack {status} {code}", report, wait=retry_after)
            return
        except slack_errors.UNREACHABLE as error:
            self._retry(delivery, now, f"connection: {error}", report)
            return
        channel, ts = str(result.get("channel") or delivery.recipient), str(result.get("ts") or "")
        with self.session_factory() as session:
            recorded = deliveries_repo.mark_sent(
                session, delivery_id=delivery.id, worker=self.worker_id, now=now, channel=channel, ts=ts
            )
            if recorded and message.after_sent is not None:
                # where the message landed, for what updates it later (a prompt's answers)
                message.after_sent(session, channel, ts)
            session.commit()
        if recorded and message.uploads:
            uploads.add(client, delivery.kind, message.uploads, channel=channel, ts=ts)
        if not recorded:
            log.warning("Delivery %s was taken over by another engine while sending", delivery.id)
        report.sent += 1
        metrics.NUDGES_SENT.labels(delivery.kind).inc()

    def _retry(
        self, delivery: Delivery, now: datetime, error: str, report: TickReport, *, wait: timedelta | None = None
    ) -> None:
        with self.session_factory() as session:
            if delivery.attempts >= MAX_ATTEMPTS:
                deliveries_repo.mark_failed(
                    session, delivery_id=delivery.id, worker=self.worker_id, error=f"gave up: {error}"
                )
                report.failed += 1
                metrics.NUDGES_FAILED.labels(delivery.kind).inc()
            else:
                at = now + (wait if wait is not None else backoff(delivery.attempts))
                deliveries_repo.mark_retry(session, delivery_id=delivery.id, worker=self.worker_id, at=at, error=error)
                report.retried += 1
                metrics.NUDGES_RETRIED.labels(delivery.kind).inc()
            session.commit()
        report.errors.append(error)


def _planner_failed(planner: Planner, step: str) -> None:
    log.exception("Planner %s failed (%s); the other planners' work is kept", planner.name, step)
    metrics.PLANNER_FAILURES.labels(metrics.planner_label(planner.name)).inc()


def _retry_after(error: SlackApiError) -> timedelta:
    headers = error.response.headers if error.response is not None else {}
    value = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return timedelta(seconds=max(float(value if not isinstance(value, list) else value[0]), 1.0))
    except ValueError:
        return timedelta(seconds=30)
