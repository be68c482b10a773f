"""A nudge engine in a process of its own, for the multi-process tests: ticks at simulated times.

    DATABASE_URL=... SLACK_API_URL=... WORKER_ID=w1 TICKS=2027-03-05T12:00:00+00:00,... \
        python tests/engine_worker.py

Without TICKS, the times come one per line on standard input, and the worker answers each with its
report before reading the next: a test can keep several workers in step, as real engines sharing a
wall clock are. Optional: BATCH_SIZE (default 200); PREFETCH_FRESH_FOR in seconds (0: the worker reads
each delivery's item and recipient just before sending it, instead of once for its batch). Prints one
JSON line per tick (the tick's report) and exits 0. Built like `mindset-bot run` builds its engine,
except for the clock, which is the tick's time.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta


def main() -> int:
    from pydantic import SecretStr

    from bot.engine.engine import PREFETCH_FRESH_FOR, NudgeEngine
    from bot.settings import Settings
    from bot.slack_client import make_web_client
    from storage.db import make_engine, make_session_factory

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token=SecretStr("xoxb-test-token"),
        slack_signing_secret=SecretStr("engine-worker-secret"),
        slack_api_url=os.environ["SLACK_API_URL"],
        database_url=os.environ["DATABASE_URL"],
    )
    engine = make_engine(settings.database_url, pool_size=2)
    client = make_web_client(settings)
    given = os.environ.get("TICKS")
    times: Iterable[datetime] = (
        [datetime.fromisoformat(text) for text in given.split(",") if text]
        if given
        else (datetime.fromisoformat(line.strip()) for line in sys.stdin if line.strip())
    )
    current = {"now": datetime.now(UTC)}
    nudges = NudgeEngine(
        session_factory=make_session_factory(engine),
        client_for=lambda _team: client,
        clock=lambda: current["now"],
        worker_id=os.environ["WORKER_ID"],
        batch_size=int(os.environ.get("BATCH_SIZE", "200")),
        prefetch_fresh_for=timedelta(
            seconds=float(os.environ.get("PREFETCH_FRESH_FOR", PREFETCH_FRESH_FOR.total_seconds()))
        ),
    )
    for at in times:
        current["now"] = at
        report = nudges.tick(at)
        print(json.dumps({"at": at.isoformat(), **asdict(report)}), flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
