"""APScheduler as a clock: one job, every minute, that asks the engine to tick."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot import metrics
from bot.engine.engine import NudgeEngine
from bot.logs import log_context

log = logging.getLogger("mindset.scheduler")

TICK_JOB_ID = "nudge-engine-tick"


def tick_once(engine: NudgeEngine) -> None:
    """The job: one engine tick; a failure is logged and the next tick tries again."""
    with log_context(job="tick"):
        started = time.perf_counter()
        try:
            report = engine.tick()
        except Exception:
            metrics.ENGINE_TICKS.labels("error").inc()
            log.exception("Engine tick failed; the next tick will try again")
            return
        finally:
            metrics.ENGINE_TICK_SECONDS.observe(time.perf_counter() - started)
        metrics.ENGINE_TICKS.labels("ok").inc()
        if report.sent or report.failed or report.retried:
            log.info(
                "Engine tick: %d planned, %d sent, %d skipped, %d to retry, %d failed",
                report.planned,
                report.sent,
                report.skipped,
                report.retried,
                report.failed,
            )


def schedule(scheduler: BaseScheduler, engine: NudgeEngine, *, seconds: int = 60) -> BaseScheduler:
    """One job with a stable id: coalesced, never two at once, first run right away."""
    scheduler.add_job(
        tick_once,
        "interval",
        seconds=seconds,
        args=[engine],
        id=TICK_JOB_ID,
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=seconds,
        next_run_time=datetime.now(UTC),
    )
    return scheduler


def start_in_background(engine: NudgeEngine, *, seconds: int = 60) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    schedule(scheduler, engine, seconds=seconds)
    scheduler.start()
    return scheduler


def run_blocking(engine: NudgeEngine, *, seconds: int = 60) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    schedule(scheduler, engine, seconds=seconds)
    log.info("Engine running: a tick every %d s", seconds)
    scheduler.start()
