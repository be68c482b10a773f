"""Composing what every reader of a workspace's week shares once, for all the digests that go out together.

On Monday at 09:00 every ambassador of a workspace in one time zone is due the same week's digest. Its
numbers, texts, customer groups, action items, Success Index and chart are the same for all of them; only
what their channels let them see and their own customer groups differ (`bot.digest.compose.for_reader`).
The engine asks `SharedWhileFresh` for the common part: the first sender to ask composes it, senders asking
meanwhile wait for that one, and later ones reuse it while it is younger than `DIGEST_FRESH_FOR`, one minute
(counted from when the composing began). So a digest never shows the workspace as it stood more than a minute
before the digest was asked for, whatever was added meanwhile: no more than the engine's own step (it ticks
once a minute, so a digest due at 09:00 may go out at 09:00 or at 09:01 anyway), and a storm of readers costs
one composition a minute instead of one each. (Five seconds, the window of the batch reads, is shorter than
composing a large workspace's week takes on a busy machine: each reader then found it stale and composed it
again, see bench/RESULTS.md.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar, cast

from sqlalchemy.orm import Session

from bot.digest.chart import participation_png
from bot.digest.compose import WeekCommon, compose_common
from bot.digest.period import Week

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MOST_KEPT = 16  # workspaces × time zones being sent at once; each holds a few thousand texts
DIGEST_FRESH_FOR = timedelta(minutes=1)


@dataclass(eq=False)
class _Slot(Generic[V]):
    read_at: datetime  # when making it began: it shows the data as of then, or later
    done: threading.Event = field(default_factory=threading.Event)
    value: V | None = None
    failed: bool = False


class SharedWhileFresh(Generic[K, V]):
    """`get(key, make)`: the value `make()` gave for `key`, made at most `fresh_for` before this call, and made
    once however many threads ask at the same moment. At most `most` keys are kept (the least recently asked
    for go first); a `make` that fails is not kept (those waiting on it make it themselves)."""

    def __init__(self, *, fresh_for: timedelta, clock: Callable[[], datetime], most: int = MOST_KEPT) -> None:
        self._fresh_for = fresh_for
        self._clock = clock
        self._most = max(1, most)
        self._lock = threading.Lock()
        self._slots: OrderedDict[K, _Slot[V]] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)

    def get(self, key: K, make: Callable[[], V]) -> V:
        while True:
            with self._lock:
                now = self._clock()
                self._forget_stale(now)
                slot = self._slots.get(key)
                mine = slot is None
                if slot is None:
                    # begun before making it, so that what changes while it is made is seen by the next one
                    slot = self._slots[key] = _Slot(read_at=now)
                    while len(self._slots) > self._most:
                        self._slots.popitem(last=False)
                else:
                    self._slots.move_to_end(key)
            if mine:
                return self._make(key, slot, make)
            slot.done.wait()
            if not slot.failed:
                return cast(V, slot.value)  # set before `done`

    def _make(self, key: K, slot: _Slot[V], make: Callable[[], V]) -> V:
        try:
            value = make()
        except BaseException:
            with self._lock:
                slot.failed = True
                if self._slots.get(key) is slot:
                    del self._slots[key]
            slot.done.set()
            raise
        slot.value = value
        slot.done.set()
        return value

    def _forget_stale(self, now: datetime) -> None:
        """Drop what is too old to be handed out now (being made or not: those waiting on it still get it)."""
        for key in [key for key, slot in self._slots.items() if now - slot.read_at >= self._fresh_for]:
            del self._slots[key]


@dataclass(frozen=True)
class CommonDigest:
    """A week's common part and its chart (the chart shows only what every reader shares: drawn once)."""

    common: WeekCommon
    chart: bytes


def common_digest(session: Session, *, team_id: str, week: Week, now: datetime) -> CommonDigest:
    common = compose_common(session, team_id=team_id, week=week, now=now)
    return CommonDigest(common, participation_png(common.participation, average=common.participation_average))


DigestKey = tuple[str, date, str, date]  # workspace, the week's Monday, its time zone, the readers' today


def digest_key(team_id: str, week: Week, today: date) -> DigestKey:
    return (team_id, week.monday, week.tz.key, today)


class SharedDigests(SharedWhileFresh[DigestKey, CommonDigest]):
    """The engine's common parts of digests, by workspace, week, time zone and the readers' local date."""
