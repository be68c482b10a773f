"""The HTTP boundary, tried as an attacker would: requests that are not Slack's (odd timestamps, bodies of
any shape, of any size), and what each may leave behind (a call to a URL it names, a metric series, a
log line).

Each test runs the real app behind its real HTTP server against the fake Slack.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from slack_bolt import BoltRequest
from sqlalchemy import select

from bot import ids, metrics
from bot.app import ObservedApp, build_app
from bot.boundary import MAX_BODY_BYTES
from bot.deps import Deps
from bot.logs import MAX_MESSAGE_LENGTH, LogSetup, log_handler
from storage.models import Entry
from tests.conftest import SIGNING_SECRET, RunningBot
from tests.fake_slack import FakeSlack
from tests.slack_requests import Answer, SlackSender

FORM = "application/x-www-form-urlencoded"


def post_raw(
    bot: RunningBot, body: bytes, *, content_type: str = FORM, timestamp: str | None = None, sign: bool = True
) -> Answer:
    """`body` as it is, with a timestamp of any shape, signed over exactly these bytes (or not at all)."""
    ts = str(int(time.time())) if timestamp is None else timestamp
    # signed as Slack signs, whatever the timestamp looks like
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    signature = "v0=" + digest if sign else "v0=" + "0" * 64
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nX-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    return _exchange(bot, head + body)


def _exchange(bot: RunningBot, raw: bytes, *, timeout: float = 10.0) -> Answer:
    host, port = bot.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(raw)
        return _read_answer(sock)


def _read_answer(sock: socket.socket) -> Answer:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed without an answer (got {data!r})")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Answer(int(lines[0].split()[1]), rest.decode(errors="replace"), headers)


def entries(bot: RunningBot) -> list[Entry]:
    with bot.deps.session_factory() as session:
        return list(session.scalars(select(Entry)))


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the bot's own log handler writes (capped, redacted), at INFO, for the test's duration."""
    stream = io.StringIO()
    handler = log_handler(LogSetup(level=logging.INFO), stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def kinds_now() -> set[str]:
    """Every `kind` label of the request metrics in the process's registry."""
    found: set[str] = set()
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        if family.name.startswith(("mindset_slack_request", "mindset_slack_background")):
            found.update(sample.labels["kind"] for sample in family.samples if "kind" in sample.labels)
    return found


def _count(name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return sample.value
    return 0.0


# -- 1. unsigned requests never reach our code ------------------------------------------------------


@pytest.mark.parametrize("timestamp", ["abc", "", "1e10", "1700000000.5", " 1700000000", "+1700000000", "1_7"])
@pytest.mark.parametrize("shape", ["command", "button"])
def test_a_timestamp_that_is_not_a_whole_number_is_refused_before_bolt(
    bot: RunningBot, timestamp: str, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    """slack_sdk raises on such a timestamp; Bolt then ran our error handler with the unsigned body, which
    answered a command and POSTed to a button's `response_url`: a request to any URL the sender names."""
    evil = f"/evil-{uuid.uuid4().hex[:8]}"
    if shape == "command":
        body = urlencode({**bot.slack.command_body(ids.PROUD, "Forged praise"), "command": evil}).encode()
    else:
        button = bot.slack.block_action(f"evil_{uuid.uuid4().hex[:8]}", "1")
        button["response_url"] = bot.fake.response_url("blind")
        body = ("payload=" + quote(json.dumps(button))).encode()
    unverified_before = _count("mindset_slack_requests_total", kind=metrics.UNVERIFIED, outcome="refused")

    answer = post_raw(bot, body, timestamp=timestamp)  # signed over that very timestamp

    assert answer.status == 401
    assert answer.json == {"error": "invalid request"}  # not our kind reply to a command
    assert bot.fake.calls == []  # no response_url, not even auth.test
    assert entries(bot) == []
    assert evil not in kinds_now() and not any(kind.startswith("evil") for kind in kinds_now())
    assert _count("mindset_slack_requests_total", kind=metrics.UNVERIFIED, outcome="refused") == unverified_before + 1
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


MALFORMED_BODIES: list[tuple[str, bytes, str]] = [
    ("payload that is not JSON", b"payload=%7Bnot+json", FORM),
    ("payload=null", b"payload=null", FORM),
    ("payload that is a JSON array", b"payload=%5B1%2C2%5D", FORM),
    ("invalid UTF-8", b"command=%2Fproud&text=\xff\xfe\xfd", FORM),
    ("a JSON array", b"[1, 2, 3]", "application/json"),
    ("a JSON string", b'"hello"', "application/json"),
    ("a form sent as JSON", b"command=%2Fproud&text=hello&team_id=T111", "application/json"),
    ("an event whose fields are not objects", b'{"type": "event_callback", "team": 3, "event": 3}', "application/json"),
]


@pytest.mark.parametrize(("what", "body", "content_type"), MALFORMED_BODIES, ids=[m[0] for m in MALFORMED_BODIES])
def test_a_malformed_unsigned_body_is_refused_with_401_and_no_traceback(
    bot: RunningBot, what: str, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    answer = post_raw(bot, body, content_type=content_type, sign=False)

    assert answer.status == 401, (what, answer)
    assert bot.fake.calls == []
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


@pytest.mark.parametrize(("what", "body", "content_type"), MALFORMED_BODIES, ids=[m[0] for m in MALFORMED_BODIES])
def test_a_malformed_signed_body_is_refused_with_400_and_no_traceback(
    bot: RunningBot, what: str, body: bytes, content_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Signed, it is Slack's (or someone holding the signing secret): still a clear 400, not a 500."""
    answer = post_raw(bot, body, content_type=content_type)

    assert answer.status == 400, (what, answer)
    assert answer.json["error"]
    assert entries(bot) == []
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]
    # and the bot goes on answering
    assert bot.slack.send_command(ids.PROUD, "After the garbage").status == 200


def test_a_signed_proud_sent_as_json_is_a_400_and_stores_nothing(bot: RunningBot) -> None:
    form = urlencode(bot.slack.command_body(ids.PROUD, "Sent with the wrong content type")).encode()

    answer = post_raw(bot, form, content_type="application/json")

    assert answer.status == 400
    assert entries(bot) == []


def test_the_error_handler_acts_only_on_verified_requests(deps: Deps, fake_slack: FakeSlack) -> None:
    """Even dispatched to the app directly (no HTTP front), a request whose signature was not checked
    gets a 401 from the error handler: no message to its `response_url`, no label from its body."""
    app = build_app(deps)

    @app.action("boom_button")
    def boom(ack: object) -> None:
        raise RuntimeError("boom")

    sender = SlackSender("http://127.0.0.1:9", SIGNING_SECRET, fake_slack.response_url("x")[:-2])
    button = sender.block_action("boom_button", "1")
    button["response_url"] = fake_slack.response_url("blind")
    raw = "payload=" + quote(json.dumps(button))
    headers = {
        "content-type": [FORM],
        "x-slack-request-timestamp": ["abc"],  # slack_sdk's check raises on it: the error handler runs
        "x-slack-signature": ["v0=" + "0" * 64],
    }

    response = app.dispatch(BoltRequest(body=raw, headers=headers))

    assert response.status == 401
    assert fake_slack.calls == []


# -- metric labels come from fixed sets -------------------------------------------------------------


def test_no_request_adds_a_metric_series(bot: RunningBot) -> None:
    """Signed requests of kinds the app does not know, and unsigned ones of every shape: each is counted,
    under `other` or `unverified`, and no new label value appears."""
    tag = uuid.uuid4().hex[:8]
    slack = bot.slack
    assert slack.send_command(f"/made-up-{tag}", "x").status in (200, 404)
    unknown_event = {"type": "event_callback", "team_id": "T111", "event": {"type": f"made_up_{tag}"}}
    assert slack.send_event(unknown_event).status in (200, 404)
    assert slack.send_event({"type": f"made_up_{tag}", "team_id": "T111"}).status in (200, 404)
    assert slack.send_interaction(slack.block_action(f"made_up_{tag}", "1")).status in (200, 404)
    shortcut = slack.message_shortcut(f"made_up_{tag}", "x")
    assert slack.send_interaction(shortcut).status in (200, 404)
    forged = SlackSender(bot.url, "not-the-secret", "http://127.0.0.1:9/respond")
    assert forged.send_command(f"/forged-{tag}", "x").status == 401
    assert post_raw(bot, urlencode({"command": f"/stale-{tag}"}).encode(), timestamp="1e10").status == 401

    assert kinds_now() <= metrics.KINDS, kinds_now() - metrics.KINDS
    assert not any(tag in kind for kind in kinds_now())


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
INTERACTIONS = ["event_callback", "block_actions", "view_submission", "message_action", "url_verification"]
SHAPED = st.fixed_dictionaries(
    {},
    optional={
        "command": st.one_of(st.sampled_from(ids.COMMANDS), JSON),
        "type": st.one_of(
            st.sampled_from(["event_callback", "block_actions", "view_submission", "message_action"]), JSON
        ),
        "event": st.one_of(st.fixed_dictionaries({"type": st.one_of(st.sampled_from(ids.BOT_EVENTS), JSON)}), JSON),
        "actions": st.one_of(st.lists(st.fixed_dictionaries({"action_id": JSON}), max_size=2), JSON),
        "view": st.one_of(st.fixed_dictionaries({"callback_id": JSON}), JSON),
        "callback_id": JSON,
    },
)


@settings(max_examples=300, deadline=None)
@given(body=SHAPED)
def test_every_request_label_is_one_of_the_fixed_set(body: dict[str, Any]) -> None:
    assert metrics.request_label(body) in metrics.KINDS


def test_every_listener_the_app_registers_is_in_the_fixed_sets(deps: Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    """The label sets of bot/ids.py are complete: a listener registered for an id not in them would be
    counted as `other`. Add new ids to `ids.ACTION_IDS` / `ids.MODALS` (and the others) as well."""
    registered: dict[str, list[Any]] = {"action": [], "view": [], "shortcut": [], "command": [], "event": []}

    class Recording(ObservedApp):
        def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
            registered["action"].append(constraints)
            return super().action(constraints, *args, **kwargs)

        def view(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
            registered["view"].append(constraints)
            return super().view(constraints, *args, **kwargs)

        def shortcut(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
            registered["shortcut"].append(constraints)
            return super().shortcut(constraints, *args, **kwargs)

        def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
            registered["command"].append(command)
            return super().command(command, *args, **kwargs)

        def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
            registered["event"].append(event)
            return super().event(event, *args, **kwargs)

    monkeypatch.setattr("bot.app.ObservedApp", Recording)
    build_app(deps)

    assert set(registered["action"]) <= set(ids.ACTION_IDS), set(registered["action"]) - set(ids.ACTION_IDS)
    assert set(registered["view"]) <= set(ids.MODALS), set(registered["view"]) - set(ids.MODALS)
    assert set(registered["shortcut"]) <= set(ids.MESSAGE_SHORTCUTS)
    assert set(registered["command"]) <= set(ids.COMMANDS)
    assert set(registered["event"]) <= set(ids.BOT_EVENTS)
    assert registered["action"] and registered["view"] and registered["command"]


# -- 2. sizes and what reaches the log --------------------------------------------------------------


def test_a_body_over_1_mib_is_refused_with_413_before_it_is_read(bot: RunningBot) -> None:
    """The head alone says Content-Length: 2 MiB; the answer comes without a byte of the body sent."""
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {2 * MAX_BODY_BYTES}\r\nX-Slack-Request-Timestamp: {int(time.time())}\r\n"
        f"X-Slack-Signature: v0={'0' * 64}\r\n\r\n"
    ).encode()

    answer = _exchange(bot, head, timeout=5)

    assert answer.status == 413


def test_a_chunked_body_is_cut_off_at_1_mib(bot: RunningBot) -> None:
    host, port = bot.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 65536
        answer = None
        for _ in range(2 * MAX_BODY_BYTES // len(chunk)):
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # the server answered and closed while we were still sending
                break
        answer = _read_answer(sock)
    assert answer.status == 413


def test_a_signed_body_of_exactly_1_mib_is_admitted(bot: RunningBot) -> None:
    base = urlencode(bot.slack.command_body(ids.PROUD, "x")).encode() + b"&padding="
    body = base + b"p" * (MAX_BODY_BYTES - len(base))
    assert len(body) == MAX_BODY_BYTES

    answer = post_raw(bot, body)

    assert answer.status == 200
    assert "Saved your proud" in answer.json["text"]


def test_no_request_body_reaches_the_log_whole(bot: RunningBot, log_lines: io.StringIO) -> None:
    """Bolt logs the body of a request whose signature it refuses, and of one no listener takes."""
    marker = "MARKER" + "m" * 50_000
    forged = SlackSender(bot.url, "not-the-secret", "http://127.0.0.1:9/respond")
    assert forged.send_command(ids.PROUD, marker).status == 401
    assert bot.slack.send_command("/no-such-command", marker).status in (200, 404)
    bot.slack.send_interaction(bot.slack.block_action("no_such_button", marker))

    written = log_lines.getvalue()
    assert "MARKER" not in written, written[:2000]
    assert all(len(line) < MAX_MESSAGE_LENGTH + 500 for line in written.splitlines())


def test_every_log_line_is_capped(log_lines: io.StringIO) -> None:
    logging.getLogger("mindset.test.cap").warning("a value: %s", "v" * 100_000)

    [line] = log_lines.getvalue().splitlines()
    assert len(line) < MAX_MESSAGE_LENGTH + 200
    assert line.endswith("more characters not logged)")
