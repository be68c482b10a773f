"""What a planner's query found, kept for the rest of the tick."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar, cast

# what a planner's query found, kept for the rest of the tick: the engine asks each planner whom it needs (to learn
# their time zones) and then what is due, and both start from the same query, which then runs once a tick
# (bot/engine/engine.py sets it for the tick; a thread of its own, so engines in one process keep theirs apart)
TICK_MEMO: ContextVar[dict[tuple[str, datetime], Any] | None] = ContextVar("planner_tick_memo", default=None)
T = TypeVar("T")


def once_a_tick(name: str, now: datetime, query: Callable[[], T]) -> T:
    memo = TICK_MEMO.get()
    if memo is None:
        return query()
    if (name, now) not in memo:
        memo[(name, now)] = query()
    return cast(T, memo[(name, now)])
