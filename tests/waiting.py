"""Waiting for background work without fixed sleeps: poll a condition until it holds or time runs out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(read: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.02) -> T:
    """The first truthy value `read()` returns; the test fails if none comes within `timeout`."""
    deadline = time.monotonic() + timeout
    value = read()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {timeout} s (last value: {value!r})")
        time.sleep(interval)
        value = read()
    return value
