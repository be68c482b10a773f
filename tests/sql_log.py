"""Watching the SQL a piece of code runs (to count statements, or find one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def each_statement(engine: Engine, seen: Callable[[str], None]) -> Iterator[None]:
    """Calls `seen` with every statement `engine` runs meanwhile (in the thread that runs it)."""

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
