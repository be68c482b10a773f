"""Progress of long command-line work (an export, a purge, migrations), shown on a terminal only.

It is written to standard error, one line rewritten in place, and only when standard error is a
terminal: in a pipe, a file or a log collector nothing is written (the data on standard output and
the log lines stay clean).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

EVERY_SECONDS = 0.2  # a terminal line is rewritten at most this often (the last step always shows)


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


class Progress:
    """`Exporting entries: 1,200 of 5,000 (24%)`, rewritten in place; `done()` ends the line."""

    def __init__(self, what: str, total: int | None = None, *, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self.shown = is_terminal(self._stream)
        self._what = what
        self._total = total
        self._count = 0
        self._last = 0.0
        self._written = False

    def step(self, count: int = 1, *, label: str = "") -> None:
        self._count += count
        if not self.shown:
            return
        now = time.monotonic()
        if self._written and now - self._last < EVERY_SECONDS and self._count != self._total:
            return
        self._last = now
        self._write(label)

    def _write(self, label: str = "") -> None:
        if self._total:
            percent = min(100, self._count * 100 // self._total)
            counted = f"{self._count:,} of {self._total:,} ({percent}%)"
        else:
            counted = f"{self._count:,}"
        text = f"{self._what}: {counted}{f' {label}' if label else ''}"
        self._stream.write(f"\r\x1b[K{text}")  # back to the line's start and clear it
        self._stream.flush()
        self._written = True

    def done(self) -> None:
        if not self.shown:
            return
        self._write("done")
        self._stream.write("\n")
        self._stream.flush()
