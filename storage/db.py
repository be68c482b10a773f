"""Engines and sessions for SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Timeouts:
    """How long the database may keep the bot waiting (README: DB_CONNECT_TIMEOUT, DB_POOL_TIMEOUT,
    DB_STATEMENT_TIMEOUT). None: as the driver has it (the maintenance commands, the tests)."""

    connect: int = 2  # PostgreSQL: opening a connection, login included (libpq counts whole seconds, 2 at least)
    pool: float = 1.0  # waiting for a free connection of the pool
    # PostgreSQL: one statement (statement_timeout); SQLite: waiting for the write lock (busy timeout)
    statement: float | None = 5.0


# PostgreSQL ends a transaction whose client has said nothing for this long (its locks go with it): a
# process that stopped waiting for a database that stopped answering leaves no locks behind for ever.
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000
# Linux: a connection whose sent data nobody acknowledges for this long is given up (a network partition),
# and one silent for KEEPALIVE_IDLE seconds is probed: a thread blocked on a vanished server gets free.
TCP_USER_TIMEOUT_MS = 10_000
KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 5, 2, 3
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


def make_engine(url: str, *, pool_size: int = 10, timeouts: Timeouts | None = None) -> Engine:
    """An engine for `url` with the pragmas and pool settings this bot relies on, and `timeouts`."""
    parsed = make_url(url)
    pool_timeout = timeouts.pool if timeouts is not None else 30.0  # SQLAlchemy's default
    if parsed.get_backend_name() == "sqlite":
        busy = timeouts.statement if timeouts is not None and timeouts.statement is not None else SQLITE_BUSY_TIMEOUT
        if "timeout" in parsed.query:  # sqlite:///x.db?timeout=0.2 says it itself
            busy = float(str(parsed.query["timeout"]))
        queue = SqliteWriterQueue(timeout=busy)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": busy,
                "factory": queue.connection_class(),
            },
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
            pool_timeout=pool_timeout,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "commit", _commit_starts)
        queue.install(engine)
        _WRITER_QUEUES[engine] = queue
        return engine
    connect_args: dict[str, Any] = {
        "connect_timeout": timeouts.connect if timeouts is not None else 5,
        "keepalives": 1,
        "keepalives_idle": KEEPALIVE_IDLE,
        "keepalives_interval": KEEPALIVE_INTERVAL,
        "keepalives_count": KEEPALIVE_COUNT,
        "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
    }
    if timeouts is not None and timeouts.statement is not None:
        connect_args["options"] = (
            f"-c statement_timeout={int(timeouts.statement * 1000)} "
            f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
        )
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        pool_timeout=pool_timeout,
        connect_args=connect_args,
    )
    event.listen(engine, "commit", _commit_starts)
    return engine


def make_session_factory(engine: Engine) -> SessionFactory:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "after_commit", _after_commit)
    event.listen(factory, "after_rollback", _after_rollback)
    return factory


# -- a caller that stops waiting: its transactions must not commit afterwards -------------------------


class TransactionAbandoned(Exception):
    """The caller answered without waiting for this work (the database did not answer in time): it may
    not commit now, or what the answer said ("nothing was stored") would become untrue."""


class Deadline:
    """A caller's limit on the transactions of one piece of work (a Slack request), in its thread.

    The caller stops waiting with `abandon()`, which succeeds (True) only while nothing was committed
    and no commit is under way: then it is true that nothing was stored, and nothing will be, since a
    commit asked for afterwards raises `TransactionAbandoned` instead (and its transaction is rolled
    back). `waiting_elsewhere` tells the caller when the work is waiting on something else than the
    database (a Slack API call, see `elsewhere`), so that a slow Slack is not taken for a stalled database.

    Shared, not copied, with the work's other threads (Bolt deep-copies a request's context for its lazy
    listeners): `copy` and `deepcopy` return the same object.
    """

    def __init__(self, at: float) -> None:
        self.at = at
        self._lock = threading.Lock()
        self._committing = 0
        self._committed = False
        self._abandoned = False
        self._elsewhere = 0

    @property
    def abandoned(self) -> bool:
        return self._abandoned

    @property
    def waiting_elsewhere(self) -> bool:
        return self._elsewhere > 0

    def start_commit(self) -> None:
        with self._lock:
            if self._abandoned:
                raise TransactionAbandoned("the answer went out without waiting for the database")
            self._committing += 1

    def end_commit(self, *, committed: bool) -> None:
        with self._lock:
            if self._committing:
                self._committing -= 1
            self._committed = self._committed or committed

    def abandon(self) -> bool:
        """Stop waiting: True when nothing was committed, nor will be; False when a commit is under way
        or done (then whether something is stored is for the work to say)."""
        with self._lock:
            if self._committing or self._committed:
                return False
            self._abandoned = True
            return True

    @contextlib.contextmanager
    def _waiting_elsewhere(self) -> Iterator[None]:
        with self._lock:
            self._elsewhere += 1
        try:
            yield
        finally:
            with self._lock:
                self._elsewhere -= 1

    def __copy__(self) -> Deadline:
        return self

    def __deepcopy__(self, _memo: dict[int, Any]) -> Deadline:
        return self


_deadline: ContextVar[Deadline | None] = ContextVar("mindset_unit_of_work_deadline", default=None)


@contextlib.contextmanager
def within(deadline: Deadline) -> Iterator[None]:
    """Commits made in this thread inside the block are held to `deadline`."""
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


@contextlib.contextmanager
def elsewhere() -> Iterator[None]:
    """The work of this thread waits on something other than the database meanwhile (Slack's API)."""
    deadline = _deadline.get()
    if deadline is None:
        yield
        return
    with deadline._waiting_elsewhere():
        yield


def _commit_starts(connection: Any) -> None:
    """Right before the database is told to COMMIT (after any flush): the last moment to refuse. A refused
    transaction's connection is thrown away (closing it rolls the transaction back, without waiting for a
    database that may not answer): SQLAlchemy counts the transaction as ended, so the pool would hand the
    connection on with its work still open, for the next commit to store."""
    deadline = _deadline.get()
    if deadline is None:
        return
    try:
        deadline.start_commit()
    except TransactionAbandoned:
        connection.invalidate()
        raise


def _after_commit(_session: Session) -> None:
    deadline = _deadline.get()
    if deadline is not None:
        deadline.end_commit(committed=True)


def _after_rollback(_session: Session) -> None:
    deadline = _deadline.get()
    if deadline is not None:
        deadline.end_commit(committed=False)


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


# bound parameters one statement takes from a list that grows with the data: far under every driver's limit
# (psycopg refuses more than 65,535 in one statement, SQLite's default is 32,766)
CHUNK = 500
C = TypeVar("C")


def chunks(items: Iterable[C], size: int = CHUNK) -> Iterator[Sequence[C]]:
    """`items` in lists of at most `size`, for statements whose parameters would otherwise grow with the data."""
    batch: list[C] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
