"""Where the nudge engine's time goes: py-spy samples the real `mindset-bot scheduler` while it sends N due nudges.

    python -m bench.nudge_profile [--database sqlite|postgres] [--nudges 10000] [--rate-limit R] [--gil] [--out DIR]

Seeds N due nudges as benchmark 3 does, starts the fake Slack and the engine, attaches py-spy at once and
records until every nudge is sent. By default every sample counts, waiting ones too (`--idle`: the engine is
one thread that mostly waits on the database and on HTTP, so wall-clock shares say where a nudge's time goes);
`--gil` counts only samples holding the GIL (CPU). Prints the share of samples under the frames that matter
and the delivery rate second by second (does it slow down as the run goes on?). Raw stacks are kept in DIR.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.common import DEFAULT_PG_ADMIN_URL
from bench.procs import FakeSlackProc, PostgresDatabase, launch_scheduler, sqlite_url

# (label, substring of a frame "function (file:line)") whose inclusive share is reported, in this order
# shares are of the samples of the engine's work: inside the tick (APScheduler runs it in a worker thread
# while the main thread waits) or inside a delivery (the tick sends a batch on several threads); the tick
# thread waiting for its sending threads, start-up and the idle main thread are left out
TICK = "tick (bot/engine/engine.py"
DELIVERY = "_deliver (bot/engine/engine.py"
WAITING_FOR_SENDERS = ("result_iterator (concurrent/futures/_base.py", "__exit__ (concurrent/futures/_base.py")
FRAMES: tuple[tuple[str, str], ...] = (
    ("tick: refresh people and channels", "_refresh (bot/engine/engine.py"),
    ("tick: plan (every planner)", "plan (bot/engine/engine.py"),
    ("  plan_checkins", "plan_checkins (bot/engine/planners.py"),
    ("tick: claim a batch", "_claim (bot/engine/engine.py"),
    ("tick: deliver one", "_deliver (bot/engine/engine.py"),
    ("  Directory.installed (workspace row)", "installed (bot/engine/directory.py"),
    ("  the sender (send_assigned: item, people, groups)", "send_assigned (bot/engine/senders.py"),
    ("  Directory.person (time zone)", "person (bot/engine/directory.py"),
    ("  renew_claim", "renew_claim (storage/repositories/deliveries.py"),
    ("  chat_postMessage (slack_sdk, urllib, the fake)", "chat_postMessage (slack_sdk/web/client.py"),
    ("    rate-limit handler sleeping Retry-After", "prepare_for_next_attempt (slack_sdk/http_retry/builtin"),
    ("  mark_sent", "mark_sent (storage/repositories/deliveries.py"),
    ("  the retry bookkeeping (_retry)", "_retry (bot/engine/engine.py"),
    ("session.commit, anywhere", "commit (sqlalchemy/orm/session.py"),
    ("pool checkout pre-ping, anywhere", "do_ping (sqlalchemy"),
    ("SQLAlchemy, anywhere", "sqlalchemy/"),
    ("logging, anywhere", "logging/__init__.py"),
)


def shares(raw: Path) -> tuple[int, list[tuple[str, float]]]:
    """Samples of the engine's work (tick and sending threads), and the share (%) of them under each of FRAMES."""
    total = 0
    inclusive: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        if DELIVERY not in stack and (TICK not in stack or any(wait in stack for wait in WAITING_FOR_SENDERS)):
            continue
        total += count
        for label, needle in FRAMES:
            if needle in stack:
                inclusive[label] += count
    return total, [(label, 100 * inclusive[label] / max(1, total)) for label, _needle in FRAMES]


def report(raw: Path) -> None:
    total, found = shares(raw)
    print(f"{total} samples of the engine's work (the tick and its sending threads)")
    for label, share in found:
        print(f"{share:5.1f} %  {label}")


def py_spy_command() -> str:
    return shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--nudges", type=int, default=10000)
    parser.add_argument("--rate-limit", type=float, default=0.0, help="the fake Slack's chat.postMessage limit")
    parser.add_argument("--gil", action="store_true", help="only samples holding the GIL (default: every sample)")
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--pg-url", default=DEFAULT_PG_ADMIN_URL)
    parser.add_argument("--code", type=Path, default=None, help="a copy of the project to run instead")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    from bench.nudges import delivery_counts, seed  # bench.nudges imports this module

    py_spy = py_spy_command()
    workdir = Path(tempfile.mkdtemp(prefix="mindset-nudge-profile-"))
    out = args.out or workdir
    out.mkdir(parents=True, exist_ok=True)
    database = PostgresDatabase(args.pg_url) if args.database == "postgres" else None
    url = database.url if database else sqlite_url(workdir / "nudges.db")
    fake = FakeSlackProc(workdir, rate=args.rate_limit)
    engine = None
    try:
        seed(url, args.nudges, datetime.now(UTC))
        engine = launch_scheduler("engine", fake, database_url=url, workdir=workdir, code=args.code)
        raw = out / f"engine-{args.database}-{'gil' if args.gil else 'wall'}.collapsed.txt"
        flags = ["--nonblocking", "--rate", str(args.rate), "--format", "raw", "--output", str(raw)]
        flags.append("--gil" if args.gil else "--idle")
        spy = subprocess.Popen([py_spy, "record", "--pid", str(engine.pid), *flags], stderr=subprocess.DEVNULL)
        timeline: list[tuple[float, int]] = []
        started = time.monotonic()
        while time.monotonic() - started < 3600 and engine.popen.poll() is None:
            posts = int(fake.totals()["methods"].get("chat.postMessage", 0))
            timeline.append((time.monotonic() - started, posts))
            if posts >= args.nudges and delivery_counts(url)[0].get("sent", 0) >= args.nudges:
                break
            time.sleep(1.0)
        spy.send_signal(2)
        spy.wait(60)
        print(f"stacks in {raw}")
        report(raw)
        print("delivered per second, in 10 % slices of the sending:")
        sending = [(at, posts) for at, posts in timeline if posts > 0]
        if len(sending) > 10:
            step = max(1, len(sending) // 10)
            for index in range(0, len(sending) - step, step):
                (at0, p0), (at1, p1) = sending[index], sending[index + step]
                print(f"  {p0:>6} → {p1:>6}: {(p1 - p0) / (at1 - at0):6.0f}/s")
    finally:
        if engine is not None:
            engine.stop()
        fake.stop()
        if database is not None:
            database.drop()
        if args.out is None:
            print(f"(work folder {workdir} kept for the raw stacks and logs)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        report(Path(sys.argv[2]))
    else:
        main()
