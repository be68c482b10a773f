"""The tests' fake Slack Web API (tests/fake_slack.py), run in its own process for the benchmarks.

It answers exactly as in the tests, but keeps counts instead of every call (a benchmark makes tens of
thousands), and answers `bench.stats` with them: calls per method, chat.postMessage calls per channel
and the time (time.time()) of the last post in each channel.

    python -m bench.fake_slack      # prints "PORT <n>" once it listens, serves until killed
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_slack import Call, FakeSlack  # noqa: E402

STATS_METHOD = "bench.stats"


class CountingCalls(list[Call]):
    """Stands in for FakeSlack.calls: counts what is appended and keeps nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.methods: Counter[str] = Counter()
        self.posts_by_channel: Counter[str] = Counter()
        self.last_post_at: dict[str, float] = {}

    def append(self, call: Call) -> None:
        with self.lock:
            self.methods[call.method] += 1
            if call.method == "chat.postMessage":
                channel = str(call.params.get("channel"))
                self.posts_by_channel[channel] += 1
                self.last_post_at[channel] = time.time()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "ok": True,
                "methods": dict(self.methods),
                "posts_by_channel": dict(self.posts_by_channel),
                "last_post_at": dict(self.last_post_at),
            }


class CountingFakeSlack(FakeSlack):
    def __init__(self) -> None:
        super().__init__()
        self.counting = CountingCalls()
        self.calls = self.counting

    def _default(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == STATS_METHOD:
            return self.counting.snapshot()
        return super()._default(method, params)


def main() -> None:
    fake = CountingFakeSlack()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    print(f"PORT {fake.port}", flush=True)
    stop.wait()
    fake.close()


if __name__ == "__main__":
    main()
