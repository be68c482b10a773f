"""Engines and sessions for SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

SessionFactory = sessionmaker[Session]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


SQLITE_BUSY_TIMEOUT = 5.0  # seconds a writer waits for another (sqlite3's default)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class SqliteWriterQueue:
    """Lets one write transaction of the process at a time into SQLite, the others waiting here in turn.

    SQLite has one writer at a time. A second writer that finds the database locked sleeps in its busy
    handler for 1, 2, 5, 10 … up to 100 ms at a time and tries again, so under a burst some writers wait
    far longer than the writes before them took. Waiting on a lock here instead, each starts the moment
    the one before it ends. The lock is taken before a transaction's first write (sqlite3 opens a
    transaction just then) and given back once no transaction is open on that connection any more: after
    its commit or rollback (the connection class `connection_class` makes does it), after a statement that
    left none open (autocommit), and when the connection goes back to the pool.
    """

    def __init__(self, timeout: float = SQLITE_BUSY_TIMEOUT) -> None:
        self._lock = threading.Lock()
        self._holder: Any = None  # the DBAPI connection whose transaction holds it
        self._timeout = timeout

    @property
    def held(self) -> bool:
        return self._holder is not None

    def connection_class(self) -> type[sqlite3.Connection]:
        """sqlite3's connection, giving the turn back once its commit or rollback has ended the transaction."""
        queue = self

        class QueuedConnection(sqlite3.Connection):
            def commit(self) -> None:
                try:
                    super().commit()
                finally:
                    queue.release_unless_in_transaction(self)

            def rollback(self) -> None:
                try:
                    super().rollback()
                finally:
                    queue.release_unless_in_transaction(self)

            def close(self) -> None:
                try:
                    super().close()
                finally:
                    queue.release_for(self)

        return QueuedConnection

    def install(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "after_cursor_execute", self._after_execute)
        event.listen(engine, "handle_error", self._after_error)
        event.listen(engine.pool, "checkin", self._checked_in)

    def _before_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        dbapi = conn.connection.dbapi_connection
        if self._holder is dbapi or not statement.lstrip()[:7].upper().startswith(WRITES):
            return
        if not self._lock.acquire(timeout=self._timeout):
            raise sqlite3.OperationalError("database is locked (waited for this process's other writers)")
        self._holder = dbapi

    def _after_execute(self, conn: Any, *_: Any) -> None:
        self.release_unless_in_transaction(conn.connection.dbapi_connection)

    def _after_error(self, context: Any) -> None:
        if context.connection is not None and not context.connection.closed:
            self.release_unless_in_transaction(context.connection.connection.dbapi_connection)

    def _checked_in(self, dbapi: Any, _record: Any) -> None:
        self.release_unless_in_transaction(dbapi)

    def release_unless_in_transaction(self, dbapi: Any) -> None:
        if self._holder is dbapi and not getattr(dbapi, "in_transaction", False):
            self.release_for(dbapi)

    def release_for(self, dbapi: Any) -> None:
        if dbapi is not None and self._holder is dbapi:
            self._holder = None
            self._lock.release()


_WRITER_QUEUES: weakref.WeakKeyDictionary[Engine, SqliteWriterQueue] = weakref.WeakKeyDictionary()


def writer_queue(engine: Engine) -> SqliteWriterQueue | None:
    """The writer queue of a SQLite engine made by `make_engine` (None for PostgreSQL)."""
    return _WRITER_QUEUES.get(engine)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url` with the pragmas and pool settings this bot relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        queue = SqliteWriterQueue()
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_TIMEOUT,
                "factory": queue.connection_class(),
            },
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        queue.install(engine)
        _WRITER_QUEUES[engine] = queue
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5},
    )


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(bind=engine, expire_on_commit=False)


def database_answers(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


T = TypeVar("T")


def create_once(session: Session, *, find: Callable[[], T | None], create: Callable[[], T]) -> tuple[T, bool]:
    """The row an idempotency key names: found, or created and committed by this call (True).

    Two requests carrying the same key (a form submitted twice, reaching two processes at once) both
    find nothing and both insert; the unique key lets one win. The loser's insert fails when it is
    flushed or committed: it rolls back and returns the winner's row, so both answer truthfully.
    """
    found = find()
    if found is not None:
        return found, False
    try:
        made = create()
        session.commit()
        return made, True
    except IntegrityError:
        session.rollback()
        again = find()
        if again is None:
            raise
        return again, False


def get_or_insert(session: Session, *, find: Callable[[], T | None], make: Callable[[], T]) -> T:
    """The row `find` returns, or one added by `make` (flushed, not committed) when there is none.

    Two sessions may both find nothing and both insert (processes started together, two engines
    refreshing one person): the insert runs in a savepoint, so the one whose insert breaks the unique key
    rolls back only that and returns the other's row, and its transaction goes on.
    """
    found = find()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            made = make()
            session.add(made)
        return made
    except IntegrityError:
        again = find()
        if again is None:
            raise
        return again
