"""The least a bot can do per `/proud` in one process: the reference that shows what storing and posting cost.

Bare slack-bolt apps (process_before_response=True, as the floor), served by the same HTTP server as the
bot and the floors, whose `/proud` does only the work the bot's answer must stand for, with nothing of
the bot's own (no ORM, no middleware, no metrics, no logging context, no lazy listeners, no checks):

    python -m bench.minimal --mode store --database URL        # store, then answer
    python -m bench.minimal --mode store-post --database URL   # store, answer, then post in the channel

- *store*: one INSERT … ON CONFLICT DO NOTHING RETURNING into the bot's own `entries` table (its
  migrations, indexes and unique key), through the driver itself (sqlite3, or psycopg with a connection
  per thread), committed; then `ack("Saved your proud …")`. What a bot needs to answer truthfully.
- *store-post*: the same, and one background thread posts each entry with slack_sdk's `WebClient` (its
  default transport) and records the posts of a batch in one transaction. What the bot does in all.

Settings come from the same environment variables as the bot's (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN,
SLACK_API_URL, PORT, HTTP_THREADS).
"""

from __future__ import annotations

import argparse
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bench.floor import serve_until_stopped
from storage import migrate
from storage.db import make_engine

MODES = ("store", "store-post")
INSERT = (
    "INSERT INTO entries (team_id, kind, author_id, channel_id, text, created_at, idempotency_key) "
    "VALUES ({p}, 'proud', {p}, {p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING RETURNING id"
)
RECORD = "UPDATE entries SET message_ts = {p} WHERE id = {p}"

Job = tuple[int, str, str]  # entry id, channel, text


class Store:
    """One DBAPI connection per thread, as a pool would give; `insert` and `record` commit."""

    def __init__(self, url: str) -> None:
        self._sqlite = url.startswith("sqlite")
        self._url = url
        self._local = threading.local()
        mark = "?" if self._sqlite else "%s"
        self._insert = INSERT.format(p=mark)
        self._record = RECORD.format(p=mark)

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self._sqlite:
                connection = sqlite3.connect(self._url.removeprefix("sqlite:///"), isolation_level=None, timeout=5)
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
            else:
                import psycopg

                connection = psycopg.connect(self._url)
            self._local.connection = connection
        return connection

    def insert(self, command: dict[str, Any]) -> int:
        connection = self._connection()
        created = datetime.now(UTC)
        values = (
            command["team_id"],
            command["user_id"],
            command["channel_id"],
            command["text"],
            created.replace(tzinfo=None).isoformat(sep=" ") if self._sqlite else created,  # as the bot stores it
            f"command:{command['trigger_id']}",
        )
        if self._sqlite:
            connection.execute("BEGIN IMMEDIATE")  # the writer lock at once: no busy-handler sleeps mid-way
            row = connection.execute(self._insert, values).fetchone()
            connection.execute("COMMIT")
        else:
            row = connection.execute(self._insert, values).fetchone()
            connection.commit()
        return int(row[0])

    def record(self, posted: list[tuple[str, int]]) -> None:
        connection = self._connection()
        if self._sqlite:
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(self._record, posted)
            connection.execute("COMMIT")
        else:
            with connection.cursor() as cursor:
                cursor.executemany(self._record, posted)
            connection.commit()


def poster(jobs: queue.Queue[Job], client: WebClient, store: Store) -> Callable[[], None]:
    def run() -> None:
        while True:
            batch = [jobs.get()]
            while len(batch) < 100:
                try:
                    batch.append(jobs.get_nowait())
                except queue.Empty:
                    break
            posted = []
            for entry_id, channel, text in batch:
                answer = client.chat_postMessage(channel=channel, text=text)
                posted.append((str(answer["ts"]), entry_id))
            store.record(posted)

    return run


def build_minimal(mode: str, *, token: str, signing_secret: str, api_url: str, database_url: str) -> App:
    client = WebClient(token=token, base_url=api_url)
    app = App(client=client, signing_secret=signing_secret, process_before_response=True)
    store = Store(database_url)
    jobs: queue.Queue[Job] = queue.Queue()
    if mode == "store-post":
        threading.Thread(target=poster(jobs, client, store), name="poster", daemon=True).start()

    @app.command("/proud")
    def proud(ack: Ack, command: dict[str, Any]) -> None:
        entry_id = store.insert(command)
        if mode == "store-post":
            jobs.put((entry_id, command["channel_id"], command["text"]))
        ack(text="Saved your proud. It will show in the channel in a moment.", response_type="ephemeral")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--database", required=True, help="sqlite:///path or postgresql://…, migrated here")
    args = parser.parse_args()
    migrate.upgrade(make_engine(args.database.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=1))
    token = os.environ.pop("SLACK_BOT_TOKEN")  # out of Bolt's sight, as in bench/floor.py
    app = build_minimal(
        args.mode,
        token=token,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ["SLACK_API_URL"],
        database_url=args.database,
    )
    serve_until_stopped(app)


if __name__ == "__main__":
    main()
