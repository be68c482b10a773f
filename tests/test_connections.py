"""Connections that send nothing, or a byte now and then: thousands held at once must not stop the bot
from answering Slack, and each must go once it has not brought a request in time.

The held sockets live in the test process, next to the bot's server (on the tests' database), so the
process holds both ends: twice as many descriptors. How fast the bot answers meanwhile is measured in
bench/ (`bench/run --only connections`), not here.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, select

from bot import ids
from bot.app import build_app
from bot.deps import Deps
from bot.server import DESCRIPTORS_BESIDES_CONNECTIONS, Limits, make_http_server, raise_descriptor_limit
from storage.models import Entry
from tests.conftest import SIGNING_SECRET, RunningBot
from tests.fake_slack import FakeSlack
from tests.waiting import eventually

HELD = 5000


def open_connections(port: int, count: int) -> list[socket.socket]:
    """`count` TCP connections to the bot that have sent nothing yet."""
    held: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket()
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            sock.connect(("127.0.0.1", port))
        held.append(sock)
    return held


def drip(sockets: list[socket.socket], byte: bytes) -> None:
    """One byte on each: a request head that never ends."""
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.send(byte)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed it (what it sent before, if anything, is read and dropped)."""
    sock.setblocking(False)
    try:
        while sock.recv(65536):
            pass
        return True
    except BlockingIOError:
        return False
    except OSError:
        return True


@pytest.fixture
def descriptors() -> None:
    wanted = 2 * HELD + DESCRIPTORS_BESIDES_CONNECTIONS
    if raise_descriptor_limit(wanted) < wanted:
        pytest.skip(f"this process may not open {wanted} files (ulimit -Hn)")


def test_signed_requests_are_answered_while_5000_idle_and_slow_connections_are_held(
    bot: RunningBot, descriptors: None
) -> None:
    port = int(bot.url.rsplit(":", 1)[1])
    idle = open_connections(port, HELD // 2)
    slow = open_connections(port, HELD - HELD // 2)
    head = b"POST /slack/events HTTP/1.1\r\nX-Slow: "
    try:
        for round_ in range(3):
            drip(slow, head[round_ : round_ + 1])
            answer = bot.slack.send_command(ids.PROUD, f"Answered while {HELD} connections were held ({round_})")
            assert answer.status == 200
            assert "Saved your proud" in answer.json["text"]
        assert bot.slack.get("/healthz").status == 200
    finally:
        for sock in idle + slow:
            sock.close()

    after = bot.slack.send_command(ids.PROUD, "Answered once they went")
    assert after.status == 200
    with bot.deps.session_factory() as session:
        assert len(list(session.scalars(select(Entry)))) == 4
    bot.fake.wait_for("chat.postMessage", 4)


@pytest.fixture
def impatient(deps: Deps, engine: Engine, fake_slack: FakeSlack) -> Iterator[int]:
    """The bot with a one-second idle timeout; yields its port."""
    server = make_http_server(
        build_app(deps),
        engine,
        signing_secret=SIGNING_SECRET,
        host="127.0.0.1",
        port=0,
        threads=2,
        limits=Limits(idle_timeout=1.0),
    )
    thread = threading.Thread(target=server.serve, name="bot-http-impatient", daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        server.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_a_connection_that_does_not_bring_a_request_in_time_is_closed(impatient: int) -> None:
    """Silent, or sending its head a byte at a time: either way it goes after the idle timeout, and the
    byte-at-a-time one does not keep itself alive by sending."""
    [silent, trickling] = open_connections(impatient, 2)
    stop = threading.Event()

    def trickle() -> None:
        for byte in b"POST /slack/events HTTP/1.1\r\nX-Slow: " + b"a" * 1000:
            if stop.wait(0.1):
                return
            with contextlib.suppress(OSError):
                trickling.send(bytes([byte]))

    dripper = threading.Thread(target=trickle, daemon=True)
    dripper.start()
    try:
        eventually(lambda: closed_by_server(silent) and closed_by_server(trickling), timeout=15)
    finally:
        stop.set()
        dripper.join()
        silent.close()
        trickling.close()


def test_a_keep_alive_connection_is_closed_when_idle_after_its_answer(impatient: int) -> None:
    with socket.create_connection(("127.0.0.1", impatient), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.setblocking(False)
        eventually(lambda: closed_by_server(sock), timeout=15)


def test_an_answer_is_not_held_back_by_nagle(bot: RunningBot) -> None:
    """The head and the body of an answer leave at once (TCP_NODELAY): without it the body waits for the
    client's delayed ACK, 40 ms on Linux, on every `/proud` answer. The quickest of five `/proud` on one
    keep-alive connection shows it: held back, every one after the first takes 40 ms or more."""
    port = int(bot.url.rsplit(":", 1)[1])
    timings = []
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for number in range(6):
            raw = urlencode(bot.slack.command_body(ids.PROUD, f"Answered at once, number {number}")).encode()
            stamp = str(int(time.time()))
            signature = bot.slack.verifier.generate_signature(timestamp=stamp, body=raw)
            head = (
                f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"X-Slack-Request-Timestamp: {stamp}\r\nX-Slack-Signature: {signature}\r\n"
                f"Content-Length: {len(raw)}\r\n\r\n"
            )
            started = time.perf_counter()
            sock.sendall(head.encode() + raw)
            answer = b""
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                chunk = sock.recv(65536)
                assert chunk, "the connection closed before the answer"
                answer += chunk
            timings.append(time.perf_counter() - started)
            assert answer.startswith(b"HTTP/1.1 200") and b"Saved your proud" in answer
    bot.fake.wait_for("chat.postMessage", 6)
    assert min(timings[1:]) < 0.035, f"answers took {[round(t * 1000, 1) for t in timings]} ms"
