"""What a planner's query found, kept for the rest of the tick."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

# what a planner's query found, kept for the rest of the tick: the engine asks each planner whom it needs (to learn
# their time zones) and then what is due, and both start from the same query, which then runs once a tick
# (bot/engine/engine.py sets it for the tick; a thread of its own, so engines in one process keep theirs apart)
TICK_MEMO: ContextVar[dict[tuple[str, datetime], Any] | None] = ContextVar("planner_tick_memo", default=None)
# what a query found that changes far more slowly than the ticks come, kept by one engine for a while (set for the
# tick to the engine's own dict): name -> (the key it was read for, when, what it found)
HELD: ContextVar[dict[str, tuple[object, datetime, Any]] | None] = ContextVar("planner_held", default=None)
T = TypeVar("T")


def once_a_tick(name: str, now: datetime, query: Callable[[], T]) -> T:
    memo = TICK_MEMO.get()
    if memo is None:
        return query()
    if (name, now) not in memo:
        memo[(name, now)] = query()
    return cast(T, memo[(name, now)])


def held_for(name: str, key: object, now: datetime, fresh_for: timedelta, query: Callable[[], T]) -> T:
    """`query()`'s answer, read again when `fresh_for` has passed, when `key` changed, or when the clock went back."""
    held = HELD.get()
    if held is None:
        return query()
    found = held.get(name)
    if found is None or found[0] != key or not timedelta(0) <= now - found[1] < fresh_for:
        found = (key, now, query())
        held[name] = found
    return cast(T, found[2])
