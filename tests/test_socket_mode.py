"""Socket Mode, the README's default deployment, end to end.

The installed console script `mindset-bot run` runs in a subprocess with SLACK_APP_TOKEN set, so it
serves Slack through Bolt's `SocketModeHandler` and slack_sdk's builtin WebSocket client. Its Web API
(SLACK_API_URL) is the fake Slack; `apps.connections.open` there hands out the URL of a fake Socket Mode
server (tests/fake_socket_mode.py, a real RFC 6455 endpoint on loopback). Envelopes are pushed over the
WebSocket as Slack pushes them, the bot's acknowledgements come back over it, and what the bot does
afterwards is read from the fake Web API and the SQLite database.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import struct
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from bot import ids
from storage.models import Entry
from tests.fake_slack import Call, FakeSlack, Reply
from tests.fake_socket_mode import (
    CLOSE_PROTOCOL_ERROR,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Ack,
    Connection,
    FakeSocketMode,
    accept_key,
)
from tests.slack_requests import CHANNEL, TEAM, USER, SlackSender, deep, payload
from tests.test_cli import BotProcess, _script, clean_env, free_port, stored_entries
from tests.waiting import eventually

APP_TOKEN = "xapp-1-A111-1-socket-mode-test"
BOT_TOKEN = "xoxb-socket-mode-test-token"
SECRET = "socket-mode-test-signing-secret"
SHARE_CHANNEL = "C222"
OPENER = payload("app_home_opened.home_tab.json")["event"]["user"]  # W222
START_TIMEOUT = 30.0  # the subprocess imports, migrates a new database and connects
STOP_TIMEOUT = 15.0


# -- the bot, its Slack and its socket ----------------------------------------------------------------


@dataclass
class SocketModeBot:
    process: BotProcess
    slack: FakeSlack
    socket: FakeSocketMode
    bodies: SlackSender  # builds Slack's payloads from tests/payloads; never sends anything over HTTP

    def command(self, command: str, text: str, *, channel: str = CHANNEL) -> tuple[str, Ack]:
        """Deliver a slash command over the socket; its envelope_id and the bot's acknowledgement."""
        envelope_id = self.socket.push("slash_commands", self.bodies.command_body(command, text, channel=channel))
        return envelope_id, self.socket.wait_for_ack(envelope_id)

    def entries(self) -> list[Entry]:
        return stored_entries(self.process.database_url)

    def posts_to(self, channel: str) -> list[Call]:
        return [call for call in self.slack.calls_to("chat.postMessage") if call.params.get("channel") == channel]

    def published_to(self, user: str) -> list[Call]:
        return [call for call in self.slack.calls_to("views.publish") if call.params.get("user_id") == user]

    def alive(self) -> None:
        if self.process.process.poll() is not None:
            raise AssertionError(f"mindset-bot exited with {self.process.process.returncode}:\n{self.process.output()}")


@contextlib.contextmanager
def socket_mode_process(cwd: Path, database: Path, slack: FakeSlack, **extra: str) -> Iterator[BotProcess]:
    """`mindset-bot run` in Socket Mode from `cwd`, killed on the way out whatever happened."""
    env = clean_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=f"sqlite:///{database}",
        PYTHONFAULTHANDLER="1",  # a bot that hangs writes its threads' stacks when stop_process aborts it
        **extra,
    )
    log = cwd / "mindset-bot.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([_script(), "run"], cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield BotProcess(process, log, "", env["DATABASE_URL"])
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def hand_out_socket_url(slack: FakeSlack, server: FakeSocketMode, times: int = 20) -> None:
    """`apps.connections.open` answers with the fake socket's URL (each connect and reconnect asks once)."""
    slack.script("apps.connections.open", *(Reply(body=server.connections_open_reply()) for _ in range(times)))


@pytest.fixture
def socket_mode() -> Iterator[FakeSocketMode]:
    server = FakeSocketMode()
    yield server
    server.close()


@pytest.fixture
def bot(tmp_path: Path, fake_slack: FakeSlack, socket_mode: FakeSocketMode) -> Iterator[SocketModeBot]:
    """A connected bot: started in a clean working directory with a brand-new SQLite file."""
    hand_out_socket_url(fake_slack, socket_mode)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    with socket_mode_process(cwd, tmp_path / "socket.db", fake_slack) as process:
        bodies = SlackSender("http://127.0.0.1:9", SECRET, response_url_base=fake_slack.response_url("").rstrip("/"))
        running = SocketModeBot(process, fake_slack, socket_mode, bodies)
        try:
            socket_mode.wait_for_connection(timeout=START_TIMEOUT)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- mindset-bot output ---\n{process.output()}") from None
        yield running
    assert socket_mode.problems == [], socket_mode.problems  # the client spoke RFC 6455 throughout


# -- helpers -------------------------------------------------------------------------------------------


def shown(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks)


def entry_form_values(text: str, channel: str) -> dict[str, dict[str, Any]]:
    """`state.values` of the entry form as Slack submits it: text, no groups, no area, a channel."""
    return {
        ids.ENTRY_TEXT_BLOCK: {ids.ENTRY_TEXT_INPUT: {"type": "plain_text_input", "value": text}},
        ids.ENTRY_GROUPS_BLOCK: {ids.ENTRY_GROUPS_INPUT: {"type": "multi_static_select", "selected_options": []}},
        ids.ENTRY_AREA_BLOCK: {ids.ENTRY_AREA_INPUT: {"type": "static_select", "selected_option": None}},
        ids.ENTRY_CHANNEL_BLOCK: {
            ids.ENTRY_CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": channel}
        },
    }


def home_opened(user: str, event_id: str) -> dict[str, Any]:
    event = deep(payload("app_home_opened.home_tab.json"))
    event["event_id"] = event_id
    event["team_id"] = TEAM
    event["event"]["user"] = user
    return event


def stop(bot: SocketModeBot) -> tuple[int, str]:
    return stop_process(bot.process)


def stop_process(process: BotProcess) -> tuple[int, str]:
    """SIGTERM, and the exit code and output; a bot still running after STOP_TIMEOUT is made to write every thread's
    stack (SIGABRT: faulthandler is on in the bot's environment), so that the failure says where it waited."""
    process.process.send_signal(signal.SIGTERM)
    try:
        code = process.process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.process.send_signal(signal.SIGABRT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.process.wait(timeout=5)
        pytest.fail(f"mindset-bot did not stop within {STOP_TIMEOUT} s of SIGTERM:\n{process.output()}")
    return code, process.output()


# -- connecting ----------------------------------------------------------------------------------------


def test_bot_connects_with_the_app_token_and_keeps_the_connection_alive(bot: SocketModeBot) -> None:
    connection = bot.socket.current

    # it asked the Web API it was given for a Socket Mode URL, with the app-level token
    [opened] = bot.slack.calls_to("apps.connections.open")
    assert opened.token == APP_TOKEN
    # and checked its bot token at start-up
    assert [call.token for call in bot.slack.calls_to("auth.test")] == [BOT_TOKEN]
    # then opened the very URL it was handed, as a WebSocket
    assert connection.path.split("?", 1)[0] == "/link"
    assert connection.headers["upgrade"] == "websocket"
    assert bot.socket.sent[0]["type"] == "hello"
    # it pings (and is answered) so it can tell a dead connection from a quiet one
    eventually(lambda: connection.pings)
    eventually(lambda: "Serving Slack over Socket Mode" in bot.process.output())
    bot.alive()
    assert len(bot.socket.connections) == 1


def test_bot_whose_first_websocket_fails_says_it_serves_only_once_connected(
    tmp_path: Path, fake_slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    """README: a bot that cannot reach Slack at start keeps trying and connects once Slack answers; nudges
    start only once the bot is connected. Here the Web API answers, but nothing listens at the first
    WebSocket URL it hands out (as behind a proxy that lets HTTPS through but not WebSockets)."""
    fake_slack.script("apps.connections.open", Reply(body={"ok": True, "url": f"ws://127.0.0.1:{free_port()}/link"}))
    hand_out_socket_url(fake_slack, socket_mode)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    with socket_mode_process(cwd, tmp_path / "socket.db", fake_slack) as process:

        def claims_to_serve() -> tuple[str, int] | None:
            output = process.output()  # read before the count: a claim made after a handshake sees it counted
            answered = socket_mode.handshakes
            return (output, answered) if "Serving Slack over Socket Mode" in output else None

        # run() starts the nudge engine right after this line (bot/cli.py: front.open(), then the scheduler)
        claimed = eventually(claims_to_serve, timeout=START_TIMEOUT)
        assert claimed is not None
        output, answered = claimed
        assert answered >= 1, f"it claimed to serve before any WebSocket connection was made:\n{output}"

        connection = socket_mode.wait_for_connection(timeout=START_TIMEOUT)
        asked = [call.token for call in fake_slack.calls_to("apps.connections.open")]
        assert len(asked) >= 2 and set(asked) == {APP_TOKEN}, asked  # it asked again for a URL that works
        bodies = SlackSender("http://127.0.0.1:9", SECRET, response_url_base=fake_slack.response_url("").rstrip("/"))
        envelope_id = socket_mode.push("slash_commands", bodies.command_body("/proud", "Connected at last"))
        ack = socket_mode.wait_for_ack(envelope_id)
        assert ack.connection == connection.index
        assert ack.payload is not None and "Saved your proud" in ack.payload["text"]


# -- commands, forms and events over the socket ---------------------------------------------------------


def test_proud_command_is_acknowledged_over_the_socket_stored_and_posted(bot: SocketModeBot) -> None:
    envelope_id, ack = bot.command("/proud", "Shipped over the socket")

    # the answer Slack shows the person travels in the acknowledgement
    assert ack.payload is not None, ack.message
    assert ack.payload["response_type"] == "ephemeral"
    assert "Saved your proud" in ack.payload["text"]
    assert ack.connection == bot.socket.current.index
    # the post reaches the channel through the Web API, with the bot token
    [post] = bot.slack.wait_for("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    assert post.token == BOT_TOKEN
    assert "Shipped over the socket" in shown(post.params["blocks"])
    # and the entry is stored, with the posted message's ts
    [entry] = eventually(lambda: [e for e in bot.entries() if e.message_ts])
    assert (entry.text, entry.kind, entry.team_id, entry.author_id, entry.channel_id) == (
        "Shipped over the socket",
        "proud",
        TEAM,
        USER,
        CHANNEL,
    )
    assert len(bot.socket.acks_for(envelope_id)) == 1
    assert bot.slack.calls_to("response_url:proud") == []  # everything went in the ack and the post


def test_proud_without_text_opens_the_form_and_its_submission_stores_the_entry(bot: SocketModeBot) -> None:
    command_body = bot.bodies.command_body("/proud", "")
    envelope_id = bot.socket.push("slash_commands", command_body)

    assert bot.socket.wait_for_ack(envelope_id).payload is None  # a bare ack: the form opens instead
    [opened] = bot.slack.wait_for("views.open")
    assert opened.params["trigger_id"] == command_body["trigger_id"]
    view: dict[str, Any] = opened.params["view"]
    assert view["callback_id"] == ids.ENTRY_MODAL
    assert bot.entries() == []

    # the person fills in the very view the app opened; the fake Slack gave it the id V00001
    submission = bot.bodies.view_submission(
        view, entry_form_values("Called the clinic back over the socket", SHARE_CHANNEL), view_id="V00001"
    )
    submitted = bot.socket.push("interactive", submission)

    assert bot.socket.wait_for_ack(submitted).payload is None  # a bare ack closes the modal
    [entry] = eventually(lambda: [e for e in bot.entries() if e.message_ts])
    assert (entry.text, entry.kind, entry.team_id, entry.author_id, entry.channel_id) == (
        "Called the clinic back over the socket",
        "proud",
        TEAM,
        USER,
        SHARE_CHANNEL,
    )
    [post] = bot.posts_to(SHARE_CHANNEL)
    assert "Called the clinic back over the socket" in shown(post.params["blocks"])


def test_home_tab_is_published_once_even_when_slack_retries_the_event(bot: SocketModeBot) -> None:
    event = home_opened(OPENER, "EvSocketHome1")

    first = bot.socket.push("events_api", event)
    assert bot.socket.wait_for_ack(first).payload is None
    [published] = eventually(lambda: bot.published_to(OPENER))
    assert published.token == BOT_TOKEN
    assert published.params["view"]["type"] == "home"

    # Slack did not see the ack in time: the very same event (same event_id) comes again as a retry
    again = bot.socket.push("events_api", event, retry_attempt=1, retry_reason="timeout")
    assert bot.socket.wait_for_ack(again).payload is None  # acknowledged, so Slack stops retrying
    # someone else opens their Home tab afterwards; once theirs is out, a second publish would have been queued
    marker = bot.socket.push("events_api", home_opened("WMARKER", "EvSocketMarker1"))
    bot.socket.wait_for_ack(marker)
    eventually(lambda: bot.published_to("WMARKER"))

    assert [call.params["user_id"] for call in bot.slack.calls_to("views.publish")] == [OPENER, "WMARKER"]


# -- losing the connection -----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["refresh_requested", "close frame"])
def test_bot_reconnects_when_slack_ends_the_connection_and_keeps_serving(bot: SocketModeBot, how: str) -> None:
    """Slack moves apps to new connections every few hours, announcing it with a `disconnect` message;
    a connection can also just be closed (a close frame). Either way the bot asks for a new URL and
    connects again. (After a close frame slack_sdk's builtin client reconnects at its next liveness
    check, up to Bolt's 10 s ping interval later.)"""
    first = bot.socket.current
    if how == "refresh_requested":
        bot.socket.request_refresh()
    else:
        bot.socket.drop()

    second = bot.socket.wait_for_connection(2, timeout=START_TIMEOUT)
    bot.socket.wait_until_closed(first)  # the old connection is let go, not kept open beside the new one
    # the fake records a call as its answer goes out: the client may be connected before the record is made
    opened = bot.slack.wait_for("apps.connections.open", 2)
    assert [call.token for call in opened] == [APP_TOKEN, APP_TOKEN]
    bot.alive()

    _, ack = bot.command("/proud", "Still here after reconnecting")

    assert ack.connection == second.index
    assert ack.payload is not None and "Saved your proud" in ack.payload["text"]
    [post] = bot.slack.wait_for("chat.postMessage")
    assert "Still here after reconnecting" in shown(post.params["blocks"])
    assert [e.text for e in eventually(lambda: [e for e in bot.entries() if e.message_ts])] == [
        "Still here after reconnecting"
    ]
    assert len(bot.socket.connections) == 2
    assert "Traceback" not in bot.process.output() and " ERROR " not in bot.process.output(), bot.process.output()


# -- stopping ------------------------------------------------------------------------------------------


def test_sigterm_stops_the_bot_cleanly_and_closes_its_connection(bot: SocketModeBot) -> None:
    connection: Connection = bot.socket.current
    _, ack = bot.command("/proud", "One before stopping")
    assert ack.payload is not None
    bot.slack.wait_for("chat.postMessage")

    code, output = stop(bot)

    assert code == 0, output
    assert "Traceback" not in output, output
    assert " ERROR " not in output, output
    assert "Stopping on signal" in output, output
    bot.socket.wait_until_closed(connection)
    assert len(bot.socket.connections) == 1  # it did not reconnect on the way out
    assert [e.text for e in bot.entries()] == ["One before stopping"]


def test_with_the_client_id_socket_mode_serves_the_dashboard_and_health_on_port(
    tmp_path: Path, fake_slack: FakeSlack, socket_mode: FakeSocketMode
) -> None:
    """The web dashboard needs HTTP even when Slack's requests come over the socket: with SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET set, `run` serves /dashboard and /healthz on PORT (and stops it on SIGTERM)."""
    hand_out_socket_url(fake_slack, socket_mode)
    port = free_port()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    extra = {"SLACK_CLIENT_ID": "1234567890.1234567890", "SLACK_CLIENT_SECRET": "client-secret", "PORT": str(port)}
    with socket_mode_process(cwd, tmp_path / "socket.db", fake_slack, **extra) as process:
        socket_mode.wait_for_connection(timeout=START_TIMEOUT)

        def page(path: str) -> tuple[int, str]:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
                return answer.status, answer.read().decode()

        status, body = page("/dashboard")  # PORT is taken before the connection opens
        assert status == 200 and "Sign in with Slack" in body, process.output()
        assert page("/healthz")[0] == 200
        code, output = stop_process(process)
        assert code == 0, output
        assert "Traceback" not in output


# -- the fake itself: strict enough that passing against it means something -----------------------------


def client_frame(opcode: int, payload: bytes, *, fin: bool = True, masked: bool = True) -> bytes:
    """A frame as a client sends it (RFC 6455, section 5.2): masked unless told otherwise."""
    length = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    head += bytes([(0x80 if masked else 0) | length]) if length < 126 else struct.pack("!BH", 0xFE, length)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


def server_frame_from(stream: BinaryIO) -> tuple[int, bytes]:
    first, second = stream.read(2)
    assert first & 0x80 and not second & 0x80, "a server frame is final and unmasked"
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", stream.read(2))
    return first & 0x0F, stream.read(length)


def open_raw(server: FakeSocketMode, key: str, **extra: str) -> tuple[socket.socket, BinaryIO, str]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    headers = {"Host": "127.0.0.1", "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}
    headers.update({"Sec-WebSocket-Key": key, **extra})
    request = "GET /link? HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    sock.sendall(request.encode("ascii"))
    stream = sock.makefile("rb")
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += stream.read(1)
    return sock, stream, head.decode("latin-1")


def test_the_fake_answers_the_handshake_as_rfc_6455_says_and_says_hello(socket_mode: FakeSocketMode) -> None:
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # the RFC's own example
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    sock, stream, head = open_raw(socket_mode, key)
    with sock, stream:
        assert head.startswith("HTTP/1.1 101 ")
        assert f"Sec-WebSocket-Accept: {accept_key(key)}\r\n" in head
        opcode, data = server_frame_from(stream)
        assert opcode == OP_TEXT
        assert json.loads(data)["type"] == "hello"

        # a ping is answered with its payload; a message may come in fragments, with control frames between
        sock.sendall(client_frame(OP_PING, b"are you there"))
        assert server_frame_from(stream) == (OP_PONG, b"are you there")
        ack = json.dumps({"envelope_id": "E1", "payload": {"text": "x" * 300}}).encode()
        sock.sendall(client_frame(OP_TEXT, ack[:100], fin=False) + client_frame(OP_PING, b"p"))
        sock.sendall(client_frame(OP_CONTINUATION, ack[100:]))
        assert server_frame_from(stream) == (OP_PONG, b"p")
        assert socket_mode.wait_for_ack("E1").payload == {"text": "x" * 300}

        # the closing handshake is answered with the client's code
        sock.sendall(client_frame(OP_CLOSE, struct.pack("!H", 1000)))
        assert server_frame_from(stream) == (OP_CLOSE, struct.pack("!H", 1000))
    socket_mode.wait_until_closed(socket_mode.connections[0])
    assert socket_mode.problems == []


def test_the_fake_refuses_handshakes_and_frames_rfc_6455_forbids(socket_mode: FakeSocketMode) -> None:
    sock, stream, head = open_raw(socket_mode, "too-short")
    with sock, stream:
        assert head.startswith("HTTP/1.1 400 ")
    sock, stream, head = open_raw(socket_mode, base64.b64encode(os.urandom(16)).decode(), Upgrade="h2c")
    with sock, stream:
        assert head.startswith("HTTP/1.1 400 ")

    sock, stream, head = open_raw(socket_mode, base64.b64encode(os.urandom(16)).decode())
    with sock, stream:
        assert head.startswith("HTTP/1.1 101 ")
        server_frame_from(stream)  # hello
        sock.sendall(client_frame(OP_TEXT, b'{"envelope_id": "E2"}', masked=False))
        opcode, data = server_frame_from(stream)
        assert (opcode, struct.unpack("!H", data[:2])[0]) == (OP_CLOSE, CLOSE_PROTOCOL_ERROR)

    assert len(socket_mode.problems) == 3, socket_mode.problems
    assert socket_mode.acks == []
