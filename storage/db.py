"""Engines and sessions for SQLite and PostgreSQL."""

from __future__ import annotations

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


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url` with the pragmas and pool settings this bot relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=False,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
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
