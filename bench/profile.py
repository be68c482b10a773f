"""Where the bot's CPU goes under `/proud` load: py-spy samples the real `mindset-bot run --no-scheduler`.

    python -m bench.profile [--database sqlite|postgres] [--requests 3000] [--concurrency 10] [--out DIR]

Starts the fake Slack and the bot as benchmark 1 does, warms up, then records the bot with py-spy
(`--gil`: only the thread holding the GIL, that is, what the single Python core is busy with) while
the load runs, and prints the share of samples under the frames that matter. The raw stacks
(collapsed format, for flamegraph tools or speedscope) are kept in DIR.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import DEFAULT_PG_ADMIN_URL, ProudLoad
from bench.loadgen import run_load
from bench.procs import FakeSlackProc, PostgresDatabase, launch_bot, sqlite_url, wait_healthy

# (label, substring of a frame "function (file)") whose inclusive share is reported, in this order
FRAMES: tuple[tuple[str, str], ...] = (
    ("uvicorn: reading and writing HTTP (h11 parses)", "uvicorn/"),
    ("  h11", "h11/"),
    ("the front: signature checked before Bolt", "admit (bot/boundary.py"),
    ("Bolt dispatch, whole request (ack part)", "dispatch (slack_bolt/app/app.py"),
    ("  request verification (HMAC)", "request_verification"),
    ("  BoltRequest building / body parsing", "slack_bolt/request/"),
    ("  the ack listener: proud_command", "proud_command (handlers/commands/entries.py"),
    ("    log_entry (DB: look up, insert, commit)", "log_entry (bot/services/entries.py"),
    ("      session.commit", "commit (sqlalchemy/orm/session.py"),
    ("    saved_confirmation / ack", "ack (slack_bolt/context/ack/ack.py"),
    ("  copying the request for a lazy listener (none for /proud since 2026-12-07)", "create_copy (slack_bolt/util/"),
    ("Posting after the answer (bot/background.py)", "post_entry (bot/delivery.py"),
    ("  get_card (DB)", "get_card (bot/services/entries.py"),
    ("  chat_postMessage (slack_sdk, urllib)", "chat_postMessage (slack_sdk/web/client.py"),
    ("  entry_blocks (rendering)", "entry_blocks (bot/render/entries.py"),
    ("Recording the posts, in batches", "_record_posts (handlers/commands/entries.py"),
    ("  the channel look-up (learn_channels)", "learn_channels (bot/engine/channel_directory.py"),
    ("SQLAlchemy (anywhere)", "sqlalchemy/"),
    ("sqlite3 / psycopg driver calls", "execute (sqlite3"),
    ("logging", "logging/__init__.py"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--pg-url", default=DEFAULT_PG_ADMIN_URL)
    parser.add_argument(
        "--wall", action="store_true", help="sample every thread, waiting ones too (--idle): where the time goes"
    )
    parser.add_argument("--out", type=Path, default=None, help="keep the raw stacks here")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    workdir = Path(tempfile.mkdtemp(prefix="mindset-profile-"))
    out = args.out or workdir
    out.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(16)
    fake = FakeSlackProc(workdir)
    database = PostgresDatabase(args.pg_url) if args.database == "postgres" else None
    url = database.url if database else sqlite_url(workdir / "profile.db")
    bot = launch_bot("bot", fake, signing_secret=secret, database_url=url, workdir=workdir)
    try:
        wait_healthy(bot.health_url(), bot.proc)
        warm = ProudLoad("PW", total=300, signing_secret=secret, port=bot.port, response_url=fake.response_url("w"))
        run_load("127.0.0.1", bot.port, total=300, concurrency=args.concurrency, build=warm.build, check=warm.check_bot)
        time.sleep(2)
        raw = out / f"bot-{args.database}-c{args.concurrency}-{'wall' if args.wall else 'gil'}.collapsed.txt"
        flags = ["--nonblocking", "--rate", str(args.rate), "--format", "raw", "--output", str(raw)]
        flags.append("--idle" if args.wall else "--gil")
        spy = subprocess.Popen([py_spy, "record", "--pid", str(bot.pid), *flags], stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        load = ProudLoad(
            "PR", total=args.requests, signing_secret=secret, port=bot.port, response_url=fake.response_url("r")
        )
        result = run_load(
            "127.0.0.1",
            bot.port,
            total=args.requests,
            concurrency=args.concurrency,
            build=load.build,
            check=load.check_bot,
        )
        deadline = time.monotonic() + 120
        while fake.posts_in(load.channel)[0] < args.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        spy.send_signal(2)
        spy.wait(30)
        print(f"{result.answered} answered, {len(result.errors)} errors, {result.rps:.0f} req/s; stacks in {raw}")
        report(raw)
    finally:
        bot.proc.stop()
        fake.stop()
        if database is not None:
            database.drop()
        if args.out is None:
            print(f"(work folder {workdir} kept for the raw stacks)")


def report(raw: Path) -> None:
    total = 0
    inclusive: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        for label, needle in FRAMES:
            if needle in stack:
                inclusive[label] += count
    print(f"{total} samples")
    for label, _needle in FRAMES:
        print(f"{100 * inclusive[label] / max(1, total):5.1f} %  {label}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        report(Path(sys.argv[2]))
    else:
        main()
