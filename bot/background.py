"""Work after the answer on the app's own threads, without Bolt's lazy listeners.

Bolt runs a lazy listener by deep-copying the request (its context, `say`, `respond`, the client …) and
dispatching it again on its listener executor: 0.18 ms of CPU and a thread hand-off for every `/proud`,
whether or not there is anything to do afterwards. `/proud` and `/sorry` hand their follow-up (post the
entry, or open the form) to a `Background` instead: a small pool created with the app (bot/app.py) and
drained when the bot stops (bot/cli.py). It is bounded: past `most` waiting jobs a job is refused, and
the caller decides (an entry is then left to the engine, which posts whatever is still unposted after
ten minutes: nothing is lost, even when the process dies with jobs waiting).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

log = logging.getLogger("mindset.background")

Item = TypeVar("Item")

# Posting threads: few, so that they take the GIL from the threads answering Slack as little as may be
# (benchmark 1: with 8 the bot answered 7-46 % fewer `/proud` a second than with 2, at the same CPU per
# request). Each post waits on Slack most of its time (100-250 ms), so 4 post some 15-40 entries a second.
POSTING_THREADS = 4
MOST_WAITING = 1000


class Background:
    """A bounded pool of threads (started at the first job) for the work after an answer."""

    def __init__(self, threads: int = POSTING_THREADS, most: int = MOST_WAITING) -> None:
        self._threads = threads
        self._slots = threading.BoundedSemaphore(most)
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._batches: dict[str, Batches[Any]] = {}
        self._closed = False

    def submit(self, work: Callable[[], None]) -> bool:
        """Run `work` on a background thread; False (and nothing runs) when `most` jobs wait already or the
        pool is closed. `work` handles its own errors (bot/errors.py `finish_in_background`)."""
        if not self._slots.acquire(blocking=False):
            return False
        with self._lock:
            if self._closed:
                self._slots.release()
                return False
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="background")
            self._executor.submit(self._run, work)
        return True

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # `work` reports its own failures; this is a last resort, never silent
            log.exception("Background work failed")
        finally:
            self._slots.release()

    def batches(self, name: str, write: Callable[[list[Item]], None]) -> Batches[Item]:
        """The pool's batch writer called `name` (made at the first call, with `write`): closed, its last
        batch written, after the pool's jobs have run."""
        with self._lock:
            found = self._batches.get(name)
            if found is None:
                found = self._batches[name] = Batches(write, name=name)
            return found

    def close(self, *, wait: bool = True) -> None:
        """Take no more work; with `wait`, return once every job taken has run and its batches are written."""
        with self._lock:
            self._closed = True
            executor = self._executor
        if executor is not None:
            executor.shutdown(wait=wait)
        for batches in list(self._batches.values()):
            batches.close(wait=wait)


class Batches(Generic[Item]):
    """Items put by many threads, written by one thread in batches: while it writes a batch the next one
    gathers (one item at a time when there is no hurry, more under load). As the reference server of
    benchmark 1 records its posts. `write` handles its own errors."""

    MOST = 200  # items in one batch

    def __init__(self, write: Callable[[list[Item]], None], *, name: str) -> None:
        self._write = write
        self._items: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"batches-{name}", daemon=True)
        self._thread.start()

    def put(self, item: Item) -> None:
        self._items.put(item)

    def _run(self) -> None:
        while True:
            first = self._items.get()
            batch = [] if first is None else [first]
            stop = first is None
            while len(batch) < self.MOST:
                try:
                    item = self._items.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    continue
                batch.append(item)
            if batch:
                try:
                    self._write(batch)
                except Exception:  # `write` reports its own failures; this is a last resort, never silent
                    log.exception("Writing a batch failed")
            if stop:
                return

    def close(self, *, wait: bool = True) -> None:
        """Write what was put, then stop."""
        self._items.put(None)
        if wait:
            self._thread.join()
