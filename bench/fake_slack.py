"""The tests' fake Slack Web API (tests/fake_slack.py), run in its own process for the benchmarks.

It answers exactly as in the tests, but keeps counts instead of every call (a benchmark makes tens of
thousands), and answers `bench.stats` with them: calls per method, chat.postMessage calls per channel
and the time (time.time()) of the last post in each channel; `bench.totals` answers the same without the
per-channel counts (cheap enough to poll).

With `--rate R`, chat.postMessage is rate limited like Slack does it: a token bucket of R a second holding at
most `--burst` (default R) tokens; a call that finds no token is answered 429 with `{"ok": false, "error":
"ratelimited"}` and a Retry-After header of whole seconds (at least 1, as Slack sends), and is not counted as a
post (`ratelimited` counts them, `ratelimited_by_method` by method). `--per-channel R` adds Slack's "about one
message a second per channel" (a bucket per channel holding one token); `--tier4 N` limits each of the two
Web API methods of a file upload (files.getUploadURLExternal, files.completeUploadExternal: Tier 4, "100+ a
minute") to N a minute with `--tier4-burst` tokens.

    python -m bench.fake_slack [--rate R [--burst B]] [--per-channel R] [--tier4 N [--tier4-burst B]] [--watch T]
    # prints "PORT <n>" once it listens, serves until killed
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_slack import Call, FakeSlack  # noqa: E402

STATS_METHOD = "bench.stats"
TOTALS_METHOD = "bench.totals"
POST_PATH = "/api/chat.postMessage"
POST_METHOD = "chat.postMessage"
TIER4_UPLOAD_METHODS = ("files.getUploadURLExternal", "files.completeUploadExternal")


class CountingCalls(list[Call]):
    """Stands in for FakeSlack.calls: counts what is appended and keeps nothing."""

    def __init__(self, watch: str = "") -> None:
        super().__init__()
        self.lock = threading.Lock()
        # posts whose text starts with `watch` (benchmark 6: the digests among other nudges), by channel
        self.watch = watch
        self.watched_by_channel: Counter[str] = Counter()
        self.watched_latest_at: float | None = None
        self.methods: Counter[str] = Counter()
        self.posts_by_channel: Counter[str] = Counter()
        self.last_post_at: dict[str, float] = {}
        self.ratelimited = 0
        self.ratelimited_by_method: Counter[str] = Counter()
        self.latest_at: dict[str, float] = {}  # the latest answered call of each method
        self.first_attempt_at: float | None = None  # the first chat.postMessage, answered or refused
        self.first_post_at: float | None = None
        self.latest_post_at: float | None = None

    def attempt(self) -> None:
        with self.lock:
            if self.first_attempt_at is None:
                self.first_attempt_at = time.time()

    def refused(self, method: str = POST_METHOD) -> None:
        with self.lock:
            self.ratelimited += 1
            self.ratelimited_by_method[method] += 1

    def append(self, call: Call) -> None:
        with self.lock:
            self.methods[call.method] += 1
            self.latest_at[call.method] = time.time()
            if call.method == "chat.postMessage":
                channel = str(call.params.get("channel"))
                now = time.time()
                self.posts_by_channel[channel] += 1
                self.last_post_at[channel] = now
                self.latest_post_at = now
                if self.first_post_at is None:
                    self.first_post_at = now
                if self.watch and str(call.params.get("text") or "").startswith(self.watch):
                    self.watched_by_channel[channel] += 1
                    self.watched_latest_at = now

    def totals(self) -> dict[str, Any]:
        with self.lock:
            return {
                "ok": True,
                "methods": dict(self.methods),
                "ratelimited": self.ratelimited,
                "ratelimited_by_method": dict(self.ratelimited_by_method),
                "latest_at": dict(self.latest_at),
                "watched": sum(self.watched_by_channel.values()),
                "watched_latest_at": self.watched_latest_at,
                "first_attempt_at": self.first_attempt_at,
                "first_post_at": self.first_post_at,
                "latest_post_at": self.latest_post_at,
            }

    def snapshot(self) -> dict[str, Any]:
        found = self.totals()
        with self.lock:
            found["posts_by_channel"] = dict(self.posts_by_channel)
            found["last_post_at"] = dict(self.last_post_at)
            found["watched_by_channel"] = dict(self.watched_by_channel)
        return found


class TokenBucket:
    """`rate` tokens a second, at most `burst` kept; `take` answers None (go) or the seconds until a token."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float | None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return None
            return (1 - self.tokens) / self.rate

    def give_back(self) -> None:
        with self.lock:
            self.tokens = min(self.burst, self.tokens + 1)


class Limits:
    """Which calls find no token: chat.postMessage in all (`post`) and per channel (`per_channel` a second, one
    token each), and each of the upload's Tier 4 methods (`tier4` a minute)."""

    def __init__(
        self, *, post: TokenBucket | None = None, per_channel: float = 0.0, tier4: float = 0.0, tier4_burst: float = 0.0
    ) -> None:
        self.post = post
        self.per_channel = per_channel
        self.channels: dict[str, TokenBucket] = {}
        self.lock = threading.Lock()
        self.methods = (
            {method: TokenBucket(tier4 / 60, tier4_burst or tier4 / 6) for method in TIER4_UPLOAD_METHODS}
            if tier4 > 0
            else {}
        )

    def wait(self, method: str, params: dict[str, Any]) -> float | None:
        """None: go; else the seconds until a token."""
        if method != POST_METHOD:
            bucket = self.methods.get(method)
            return bucket.take() if bucket is not None else None
        channel_bucket = None
        if self.per_channel > 0:
            with self.lock:
                channel = str(params.get("channel"))
                channel_bucket = self.channels.setdefault(channel, TokenBucket(self.per_channel, 1.0))
            wait = channel_bucket.take()
            if wait is not None:
                return wait
        if self.post is not None:
            wait = self.post.take()
            if wait is not None:
                if channel_bucket is not None:
                    channel_bucket.give_back()  # refused: this channel's post did not happen
                return wait
        return None


class CountingFakeSlack(FakeSlack):
    def __init__(self, limits: Limits | None = None, *, watch: str = "") -> None:
        self.counting = CountingCalls(watch)
        self.limits = limits
        super().__init__()
        self.calls = self.counting

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = handler.path.split("?", 1)[0]
        method = path.removeprefix("/api/")
        if method in (STATS_METHOD, TOTALS_METHOD):  # the benchmark's own questions, not Slack's Web API
            self._answer(handler, 200, self.counting.snapshot() if method == STATS_METHOD else self.counting.totals())
            return
        if path == POST_PATH:
            self.counting.attempt()
        if self.limits is not None and path.startswith("/api/"):
            params = self._parse(body.decode("utf-8"), handler.headers.get("Content-Type", "")) if body else {}
            wait = self.limits.wait(method, params)
            if wait is not None:
                self.counting.refused(method)
                retry_after = {"Retry-After": str(max(1, math.ceil(wait)))}
                self._answer(handler, 429, {"ok": False, "error": "ratelimited"}, retry_after)
                return
        super()._handle(handler, body)

    @staticmethod
    def _answer(
        handler: BaseHTTPRequestHandler, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        answer = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(answer)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(answer)


def main() -> None:
    parser = argparse.ArgumentParser(description="the tests' fake Slack in its own process, counting")
    parser.add_argument("--rate", type=float, default=0.0, help="chat.postMessage per second allowed (0: no limit)")
    parser.add_argument("--burst", type=float, default=0.0, help="tokens the bucket holds at most (default: rate)")
    parser.add_argument("--per-channel", type=float, default=0.0, help="chat.postMessage per second and channel")
    parser.add_argument("--tier4", type=float, default=0.0, help="each upload method's calls a minute (0: no limit)")
    parser.add_argument("--tier4-burst", type=float, default=0.0, help="their bucket's tokens (default: 10 s worth)")
    parser.add_argument("--watch", default="", help="count the posts whose text starts with this apart")
    args = parser.parse_args()
    bucket = TokenBucket(args.rate, args.burst or args.rate) if args.rate > 0 else None
    limited = bucket is not None or args.per_channel > 0 or args.tier4 > 0
    limits = Limits(post=bucket, per_channel=args.per_channel, tier4=args.tier4, tier4_burst=args.tier4_burst)
    fake = CountingFakeSlack(limits if limited else None, watch=args.watch)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    print(f"PORT {fake.port}", flush=True)
    stop.wait()
    fake.close()


if __name__ == "__main__":
    main()
