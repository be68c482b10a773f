"""SQLite: the process's write transactions take turns in a queue of their own instead of meeting in
SQLite's busy handler (which sleeps up to 100 ms between tries), and the turn is always given back."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from storage import migrate
from storage.db import make_engine, make_session_factory, writer_queue
from storage.models import ProcessedEvent

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def sqlite(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}", pool_size=8)
    migrate.upgrade(engine)
    return engine


def _no_busy_waiting(engine: Engine) -> None:
    """Make SQLite refuse a second writer at once instead of waiting: any two writers that meet inside
    SQLite fail the test."""

    @event.listens_for(engine, "connect")
    def _impatient(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout = 0")  # type: ignore[attr-defined]

    engine.dispose()  # connections made from now on get it


def _event(number: int) -> dict[str, object]:
    return {"team_id": "T111", "event_id": f"Ev{number}", "received_at": NOW}


def test_concurrent_write_transactions_never_meet_inside_sqlite(sqlite: Engine) -> None:
    _no_busy_waiting(sqlite)
    sessions = make_session_factory(sqlite)
    failures: list[BaseException] = []

    def writer(first: int) -> None:
        for number in range(first, first + 25):
            try:
                with sessions() as session:
                    session.execute(select(func.count()).select_from(ProcessedEvent))  # reads wait for nobody
                    session.execute(insert(ProcessedEvent), [_event(number)])
                    time.sleep(0.002)  # a transaction that takes a while
                    session.execute(insert(ProcessedEvent), [_event(number + 100_000)])
                    session.commit()
            except BaseException as error:  # the assertion below shows it
                failures.append(error)

    threads = [threading.Thread(target=writer, args=(index * 1000,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 8 * 25 * 2
    queue = writer_queue(sqlite)
    assert queue is not None and not queue.held


def test_the_turn_is_given_back_however_a_transaction_ends(sqlite: Engine) -> None:
    queue = writer_queue(sqlite)
    assert queue is not None
    sessions = make_session_factory(sqlite)

    with sessions() as session:  # committed
        session.execute(insert(ProcessedEvent), [_event(1)])
        assert queue.held
        session.commit()
        assert not queue.held

    with sessions() as session:  # rolled back
        session.execute(insert(ProcessedEvent), [_event(2)])
        session.rollback()
        assert not queue.held

    with sessions() as session:  # closed without a commit
        session.execute(insert(ProcessedEvent), [_event(3)])
    assert not queue.held

    with sessions() as session:  # a statement that failed, then the rollback
        with pytest.raises(IntegrityError):
            session.execute(insert(ProcessedEvent), [_event(1)])
        assert queue.held  # the transaction is still open until it is rolled back
        session.rollback()
        assert not queue.held

    with sqlite.connect() as connection:  # back to the pool in the middle of a transaction
        connection.execute(insert(ProcessedEvent), [_event(4)])
        assert queue.held
    assert not queue.held

    with sqlite.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(insert(ProcessedEvent), [_event(5)])
        assert not queue.held  # no transaction was left open

    with sqlite.connect() as connection:  # reads and pragmas never take a turn
        connection.execute(text("PRAGMA user_version"))
        connection.execute(select(func.count()).select_from(ProcessedEvent))
        assert not queue.held

    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessedEvent)) == 2  # events 1 and 5


def test_postgresql_engines_have_no_queue(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=1)
    try:
        assert writer_queue(engine) is None
    finally:
        engine.dispose()
