"""A barrier for race tests: know that another thread has come to its write, without sleeping.

`ArrivesAt(Model)` is set the moment a thread other than the test's own is about to write a row of
`Model` (its session flushes a new, changed or deleted one, or executes an INSERT, UPDATE or DELETE
on its table). That thread has then done every read before the write: whatever the test does next
(commit a competing row) happens after those reads, so the race always runs the same way. Whether the
write then waits on the database's lock or finds the competing row already committed, it takes the
path that meets a row it did not see.

SQLite has one writer at a time: while the test's session holds its uncommitted row, the other
thread's first write of any table waits for it. There, that first write is the point to wait for.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import ORMExecuteState, Session


class ArrivesAt:
    def __init__(self, model: type[Any]) -> None:
        self.model = model
        self.table = model.__table__
        self.arrived = threading.Event()
        self.test_thread = threading.current_thread()

    def __enter__(self) -> ArrivesAt:
        event.listen(Session, "before_flush", self._flushing)
        event.listen(Session, "do_orm_execute", self._executing)
        event.listen(Engine, "savepoint", self._savepoint)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(Session, "before_flush", self._flushing)
        event.remove(Session, "do_orm_execute", self._executing)
        event.remove(Engine, "savepoint", self._savepoint)

    def run(self, work: Callable[[], None]) -> threading.Thread:
        """`work` started in another thread; should it end without writing (it found everything it
        needed already there: SQLite may have committed the test's row with its savepoint), that ends
        the wait too."""

        def run() -> None:
            try:
                work()
            finally:
                self.arrived.set()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def wait(self, timeout: float = 20.0) -> None:
        """Until the other thread is about to write, or has ended (the test fails if neither comes)."""
        assert self.arrived.wait(timeout), f"no other thread came to write {self.table.name}"

    def _elsewhere(self) -> bool:
        return threading.current_thread() is not self.test_thread

    def _any_write(self, session: Session) -> bool:
        return session.get_bind().dialect.name == "sqlite"

    def _flushing(self, session: Session, *_: Any) -> None:
        pending = [*session.new, *session.dirty, *session.deleted]
        if not self._elsewhere() or not pending:
            return
        if self._any_write(session) or any(isinstance(row, self.model) for row in pending):
            self.arrived.set()

    def _savepoint(self, connection: Connection, _name: str) -> None:
        # SQLite: a savepoint (before an insert that may meet another's row) is a write
        if self._elsewhere() and connection.dialect.name == "sqlite":
            self.arrived.set()

    def _executing(self, state: ORMExecuteState) -> None:
        if not self._elsewhere() or not (state.is_insert or state.is_update or state.is_delete):
            return
        table = getattr(state.statement, "table", None)
        if self._any_write(state.session) or getattr(table, "name", None) == self.table.name:
            self.arrived.set()
