"""What every reader of a week's digest shares is made once for all who ask while it is fresh, and never
handed out older than the window: real threads released together, and a clock we hold."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from bot.digest.shared import SharedWhileFresh
from tests.engine_harness import SimClock, utc

FRESH_FOR = timedelta(seconds=5)
READERS = 8


class CountingClock(SimClock):
    """A clock held still that counts how often it was read (each `get` reads it once, under the lock),
    and lets a test wait until a number of readings happened."""

    def __init__(self) -> None:
        super().__init__(utc(2027, 2, 15, 8))
        self.readings = 0
        self.changed = threading.Condition()

    def __call__(self) -> datetime:
        with self.changed:
            self.readings += 1
            self.changed.notify_all()
        return super().__call__()

    def wait_for_readings(self, count: int) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: self.readings >= count, timeout=30)


def test_readers_asking_at_once_share_one_making() -> None:
    """Eight threads released by a barrier ask for the same week; the first to ask makes it and cannot finish
    before all eight have asked, so seven of them find it being made and wait for it."""
    clock = CountingClock()
    shared: SharedWhileFresh[str, list[int]] = SharedWhileFresh(fresh_for=FRESH_FOR, clock=clock)
    made: list[list[int]] = []
    everyone_asked = threading.Event()
    barrier = threading.Barrier(READERS)

    def make() -> list[int]:
        assert everyone_asked.wait(30)
        made.append([len(made)])
        return made[-1]

    def ask() -> list[int]:
        barrier.wait(30)
        return shared.get("T1 2027-W06", make)

    with ThreadPoolExecutor(READERS) as pool:
        futures = [pool.submit(ask) for _ in range(READERS)]
        clock.wait_for_readings(READERS)
        everyone_asked.set()
        answers = [future.result(30) for future in futures]

    assert len(made) == 1
    assert all(answer is made[0] for answer in answers)


def test_what_changed_meanwhile_is_seen_once_the_window_has_passed() -> None:
    clock = SimClock(utc(2027, 2, 15, 8))
    shared: SharedWhileFresh[str, int] = SharedWhileFresh(fresh_for=FRESH_FOR, clock=clock)
    entries = [1]  # what the database holds: an entry is added between two readers

    def count() -> int:
        return len(entries)

    assert shared.get("week", count) == 1
    entries.append(2)
    clock.now += FRESH_FOR - timedelta(milliseconds=1)
    assert shared.get("week", count) == 1  # within the window: as it stood at most FRESH_FOR ago
    clock.now += timedelta(milliseconds=1)
    assert shared.get("week", count) == 2  # never older than the window
    assert shared.get("other week", count) == 2  # another key is made on its own


def test_the_window_counts_from_when_making_began() -> None:
    """An entry added while the common part is being made may be missed by it: the next reader past the window
    (counted from the start of the making, not its end) gets it made anew."""
    clock = SimClock(utc(2027, 2, 15, 8))
    shared: SharedWhileFresh[str, int] = SharedWhileFresh(fresh_for=FRESH_FOR, clock=clock)
    entries = [1]

    def slow_count() -> int:
        found = len(entries)  # read before the entry below is added
        entries.append(2)
        clock.now += FRESH_FOR  # the making took the whole window
        return found

    assert shared.get("week", slow_count) == 1
    assert shared.get("week", lambda: len(entries)) == 2


def test_a_making_that_fails_is_not_kept_and_those_waiting_make_it_themselves() -> None:
    clock = CountingClock()
    shared: SharedWhileFresh[str, str] = SharedWhileFresh(fresh_for=FRESH_FOR, clock=clock)
    both_asked = threading.Event()
    calls: list[str] = []

    def make() -> str:
        calls.append("make")
        if len(calls) == 1:
            assert both_asked.wait(30)
            raise RuntimeError("the database went away")
        return "made"

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(shared.get, "week", make)
        second = pool.submit(shared.get, "week", make)
        clock.wait_for_readings(2)
        both_asked.set()
        outcomes = []
        for future in (first, second):
            try:
                outcomes.append(future.result(30))
            except RuntimeError as error:
                outcomes.append(str(error))

    assert sorted(outcomes) == ["made", "the database went away"]
    assert calls == ["make", "make"]
    assert shared.get("week", lambda: "again") == "made"  # what the second made is kept


def test_at_most_so_many_weeks_are_kept() -> None:
    clock = SimClock(utc(2027, 2, 15, 8))
    shared: SharedWhileFresh[int, int] = SharedWhileFresh(fresh_for=FRESH_FOR, clock=clock, most=3)
    made: list[int] = []

    def maker(key: int) -> Callable[[], int]:
        def make() -> int:
            made.append(key)
            return key

        return make

    for key in range(5):
        shared.get(key, maker(key))
    assert len(shared) == 3
    shared.get(4, maker(4))  # kept
    shared.get(0, maker(0))  # the oldest went first: made again
    assert made == [0, 1, 2, 3, 4, 0]


def test_no_window_makes_it_for_each_reader() -> None:
    clock = SimClock(utc(2027, 2, 15, 8))
    shared: SharedWhileFresh[str, int] = SharedWhileFresh(fresh_for=timedelta(0), clock=clock)
    made: list[int] = []

    def make() -> int:
        made.append(1)
        return len(made)

    assert [shared.get("week", make) for _ in range(3)] == [1, 2, 3]
