"""Logging set-up for the entry point."""

from __future__ import annotations

import logging
import sys


def configure_logging(level: int) -> None:
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # slack_sdk logs every request at DEBUG with its headers; keep it quiet unless asked for.
    if level > logging.DEBUG:
        logging.getLogger("slack_sdk").setLevel(logging.WARNING)
        # APScheduler logs every run of the one-minute tick at INFO
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
