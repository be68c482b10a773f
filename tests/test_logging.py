"""Logs: text or JSON lines, each carrying its workspace and request or job, and never a secret.

The end-to-end test runs the real `mindset-bot run` (HTTP, SQLite, the fake Slack) at DEBUG with
LOG_FORMAT=json, and plants the secrets where slack_sdk's DEBUG lines and a traceback would show them.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.deps import Deps
from bot.logs import (
    HTTP_SERVER_LOGGER,
    LogSetup,
    Throttle,
    configure_logging,
    log_context,
    log_handler,
    request_context,
    request_id,
    request_kind,
)
from tests.fake_slack import FakeSlack, Reply
from tests.slack_requests import CHANNEL, TEAM, SlackSender, payload
from tests.test_cli import SECRET, TOKEN, _script, clean_env, free_port
from tests.test_engine_faults import DUE_AT, START, Setup
from tests.waiting import eventually

APP_TOKEN = "xapp-1-A111-planted-app-token"
USER_TOKEN = "xoxp-planted-user-token"
CLIENT_SECRET = "planted-client-secret-0123456789"


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose lines go through the bot's own handler (JSON) into a string."""
    stream = io.StringIO()
    logger = logging.getLogger("mindset.test.logging")
    handler = log_handler(LogSetup(level=logging.DEBUG, fmt="json", secrets=(SECRET, CLIENT_SECRET)), stream)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# -- redaction -----------------------------------------------------------------------------------


def test_tokens_and_secrets_are_masked_in_messages_arguments_and_tracebacks(
    capture: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = capture
    logger.info(f"headers: Authorization: Bearer {TOKEN}")
    logger.warning("verifying with %s and %r", SECRET, {"client_secret": CLIENT_SECRET, "token": APP_TOKEN})
    try:
        raise RuntimeError(f"Slack said no to {USER_TOKEN}")
    except RuntimeError:
        logger.exception("failed with %s", TOKEN)
    logger.error("where: %s", TOKEN, stack_info=True)

    output = stream.getvalue()
    for secret in (TOKEN, SECRET, APP_TOKEN, USER_TOKEN, CLIENT_SECRET):
        assert secret not in output
    first, second, third, fourth = lines(stream)
    assert first["message"] == "headers: Authorization: Bearer xoxb-***"
    assert second["message"] == "verifying with *** and {'client_secret': '***', 'token': 'xapp-***'}"
    assert third["message"] == "failed with xoxb-***"
    assert "RuntimeError: Slack said no to xoxp-***" in third["exception"]
    assert third["exception"].startswith("Traceback (most recent call last):")
    assert "stack" in fourth and "xoxb-***" in fourth["message"]


def test_a_malformed_log_call_still_logs_and_still_masks(
    capture: tuple[logging.Logger, io.StringIO], monkeypatch: pytest.MonkeyPatch
) -> None:
    logger, stream = capture
    # only the bot's handler: pytest's capture handlers raise on a malformed call, by design
    monkeypatch.setattr(logger, "handlers", logger.handlers[:1])
    logger.info("two values %s %s", TOKEN)  # one argument short

    [line] = lines(stream)
    assert TOKEN not in stream.getvalue()
    assert "two values" in line["message"]


# -- the context ---------------------------------------------------------------------------------


def test_json_lines_carry_the_context_they_were_logged_in(capture: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = capture
    logger.info("outside")
    with log_context(team="T1", job="delivery:7 action_reminder"):
        logger.info("delivering")
        with log_context(job="refresh_person U1"):
            logger.info("nested")
    logger.info("outside again")

    outside, delivering, nested, again = lines(stream)
    assert {"time", "level", "logger", "message"} <= outside.keys()
    assert "team" not in outside and "job" not in outside
    assert (delivering["team"], delivering["job"]) == ("T1", "delivery:7 action_reminder")
    assert (nested["team"], nested["job"]) == ("T1", "refresh_person U1")
    assert "team" not in again
    assert delivering["level"] == "INFO" and delivering["logger"] == "mindset.test.logging"


def test_text_lines_show_the_context_in_brackets() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("mindset.test.text")
    handler = log_handler(LogSetup(fmt="text"), stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with request_context(payload("slash_command.dict.json") | {"command": "/proud"}):
            logger.warning("saved %s", TOKEN)
        logger.warning("plain")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True

    first, second = stream.getvalue().splitlines()
    assert first.endswith(" WARNING mindset.test.text [team=T111 request=/proud 111.222.xxx]: saved xoxb-***")
    assert second.endswith(" WARNING mindset.test.text: plain")


def test_each_kind_of_request_is_named_by_what_identifies_it() -> None:
    command = payload("slash_command.dict.json") | {"command": "/proud"}
    event = {"type": "event_callback", "team_id": "T1", "event_id": "Ev123", "event": {"type": "app_home_opened"}}
    action = payload("block_actions.json")
    submission = payload("view_submission.json")
    shortcut = payload("message_shortcut.json")

    assert (request_kind(command), request_id(command)) == ("/proud", "/proud 111.222.xxx")
    assert (request_kind(event), request_id(event)) == ("app_home_opened", "app_home_opened Ev123")
    action_id = action["actions"][0]["action_id"]
    assert request_kind(action) == "block_actions"
    assert request_id(action) == f"block_actions:{action_id} {action['trigger_id']}"
    assert request_id(submission).startswith(f"view_submission:{submission['view']['callback_id']} ")
    assert request_id(shortcut).startswith(f"message_action:{shortcut['callback_id']} ")


def test_a_forged_body_cannot_forge_log_lines(capture: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = capture
    forged = {"command": "/proud\n2026-01-01 INFO forged", "team_id": "T1\r\nX" + "A" * 500, "trigger_id": "1"}
    with request_context(forged):
        logger.info("hello")

    [line] = lines(stream)
    assert "\n" not in line["request"] and "\r" not in line["team"]
    assert len(line["team"]) <= 120


@pytest.mark.parametrize(
    "body",
    [
        {"team": "T1", "user": "U1", "actions": "none", "view": 3},
        {"type": "event_callback", "event": ["x"], "team": None},
        {"command": "/proud", "team": {"id": ["T1"]}},
        {"actions": [None, {"action_id": "b"}], "type": "block_actions"},
        {},
    ],
)
def test_a_body_of_any_shape_is_named_without_failing(
    body: dict[str, Any], capture: tuple[logging.Logger, io.StringIO]
) -> None:
    """Bodies are read before their signature is checked: a forged one must reach the 401, not crash."""
    logger, stream = capture
    with request_context(body):
        logger.info("refused")

    [line] = lines(stream)
    assert line["message"] == "refused"
    assert request_kind(body)


def test_engine_lines_carry_the_workspace_and_the_delivery(deps: Deps, fake_slack: FakeSlack) -> None:
    stream = io.StringIO()
    engine_log = logging.getLogger("mindset.engine")
    handler = log_handler(LogSetup(level=logging.DEBUG, fmt="json"), stream)
    engine_log.addHandler(handler)
    level = engine_log.level
    engine_log.setLevel(logging.INFO)
    try:
        setup = Setup(deps, fake_slack)
        engine = setup.engine("engine-logs")
        setup.tick(engine, START)
        fake_slack.fail("chat.postMessage", "user_not_found")
        setup.tick(engine, DUE_AT)
    finally:
        engine_log.removeHandler(handler)
        engine_log.setLevel(level)

    [gave_up] = [line for line in lines(stream) if line["message"].startswith("Gave up on action_reminder")]
    assert gave_up["team"] == TEAM
    assert gave_up["job"] == f"delivery:{setup.reminder().id} action_reminder"


# -- settings ------------------------------------------------------------------------------------


def test_log_format_xml_is_refused_naming_the_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        [_script(), "db", "upgrade"],
        cwd=tmp_path,
        env=clean_env(LOG_FORMAT="xml"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("mindset-bot: LOG_FORMAT is invalid (must be text or json): use text"), line
    assert list(tmp_path.iterdir()) == []


# -- the real thing ------------------------------------------------------------------------------


def test_run_at_debug_in_json_writes_only_json_with_context_and_no_secret(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    # Slack's answers repeat the secrets, so slack_sdk's DEBUG lines (it logs each answer's body) and
    # the traceback of a failed call would show them if nothing masked them.
    planted = f"{TOKEN} {APP_TOKEN} {SECRET}"
    fake_slack.script("chat.postMessage", Reply(body={"ok": True, "channel": CHANNEL, "ts": "1.2", "echo": planted}))
    port = free_port()
    env = clean_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'logs.db'}",
        PORT=str(port),
        HTTP_THREADS="4",
        LOG_LEVEL="DEBUG",
        LOG_FORMAT="json",
    )
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([_script(), "run"], cwd=tmp_path, env=env, stdout=stdout, stderr=stderr)
    try:
        slack = SlackSender(f"http://127.0.0.1:{port}", SECRET, fake_slack.response_url("x")[:-2])
        eventually(lambda: _healthy(slack, process), timeout=30)

        proud = slack.command_body("/proud", "Shipped the export fix")
        assert "Saved your proud" in slack.post_form(_form(proud)).text
        fake_slack.wait_for("chat.postMessage")

        # a failing request: /sorry without text opens a form after the answer, and Slack refuses it
        fake_slack.script("views.open", Reply(body={"ok": False, "error": "internal_error", "detail": planted}))
        sorry = slack.command_body("/sorry", "")
        assert slack.post_form(_form(sorry)).status == 200
        fake_slack.wait_for("response_url:sorry")  # the person was told, after the failure was logged
        eventually(lambda: "Background work failed" in err.read_text(encoding="utf-8"))
    finally:
        process.terminate()
        process.wait(timeout=15)

    output = out.read_text(encoding="utf-8") + err.read_text(encoding="utf-8")
    for secret in (TOKEN, APP_TOKEN, SECRET):
        assert secret not in output, f"{secret} is in the output"
    assert out.read_text(encoding="utf-8") == ""
    records = [json.loads(line) for line in err.read_text(encoding="utf-8").splitlines()]  # every line is JSON
    assert any(record["logger"].startswith("slack_sdk") and record["level"] == "DEBUG" for record in records)
    # the planted secrets were there, masked: the configured ones whole, the app token by its shape
    assert any("*** xapp-*** ***" in record["message"] for record in records if record["logger"].startswith("slack"))

    proud_id = f"/proud {proud['trigger_id']}"
    of_proud = [record for record in records if record.get("request") == proud_id]
    assert of_proud and all(record["team"] == TEAM for record in of_proud)
    assert any("chat.postMessage" in record["message"] for record in of_proud)  # the lazy part too

    sorry_id = f"/sorry {sorry['trigger_id']}"
    [failure] = [record for record in records if record["message"].startswith("Background work failed")]
    assert (failure["level"], failure["team"], failure["request"]) == ("ERROR", TEAM, sorry_id)
    assert "SlackApiError" in failure["exception"] and "*** xapp-*** ***" in failure["exception"]


def _form(body: dict[str, str]) -> str:
    return urlencode(body)


def _healthy(slack: SlackSender, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"mindset-bot exited with {process.returncode}")
    try:
        return slack.get("/healthz").status == 200
    except OSError:
        return False


# -- the HTTP server's warnings, which any client can provoke --------------------------------------


def test_a_warning_anyone_can_provoke_comes_once_a_minute_with_how_many_were_held_back() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("mindset.test.throttle")
    logger.setLevel(logging.INFO)
    now = [100.0]
    logger.addFilter(Throttle(interval=60, clock=lambda: now[0]))
    logger.addHandler(log_handler(LogSetup(fmt="text"), stream))
    logger.propagate = False
    try:
        for _ in range(500):  # a burst of garbage requests
            logger.warning("Invalid HTTP request received.")
        logger.warning("Exceeded concurrency limit.")  # another kind: its own minute
        logger.info("Shutting down")  # below WARNING: never held back
        now[0] += 59
        logger.warning("Invalid HTTP request received.")
        now[0] += 1
        logger.warning("Invalid HTTP request received.")
        now[0] += 600
        logger.warning("Invalid HTTP request received.")
    finally:
        logger.handlers.clear()
        logger.filters.clear()
        logger.propagate = True
    shown = [line.split(": ", 1)[-1] for line in stream.getvalue().splitlines()]
    assert shown == [
        "Invalid HTTP request received.",
        "Exceeded concurrency limit.",
        "Shutting down",
        "Invalid HTTP request received. (500 more like it in the last 60 s not shown)",
        "Invalid HTTP request received.",
    ], shown


def test_the_bot_throttles_the_http_servers_warnings_once_however_often_logging_is_set_up() -> None:
    server = logging.getLogger(HTTP_SERVER_LOGGER)
    root = logging.getLogger()
    saved = (list(server.filters), list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    try:
        configure_logging(LogSetup())
        configure_logging(LogSetup())
        assert sum(isinstance(f, Throttle) for f in server.filters) == 1
    finally:
        server.filters[:], root.handlers[:], level, sys.excepthook, threading.excepthook = saved
        root.setLevel(level)
        logging.captureWarnings(False)


def test_redacting_leaves_the_record_whole_for_the_other_handlers() -> None:
    """The bot's handler redacts its own copy: a handler beside it (pytest's, an error tracker's)
    still gets the exception as raised, whichever of the two runs first."""
    stream = io.StringIO()
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    logger = logging.getLogger("mindset.test.logging.shared")
    ours = log_handler(LogSetup(level=logging.DEBUG, fmt="text", secrets=(SECRET,)), stream)
    logger.addHandler(ours)
    logger.addHandler(Keep())
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"failed with {SECRET}")
        except RuntimeError:
            logger.error("Listener failed for %s", "/proud", exc_info=True)
    finally:
        logger.handlers.clear()
        logger.propagate = True

    [record] = seen
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    assert record.getMessage() == "Listener failed for /proud"
    assert SECRET not in stream.getvalue() and "RuntimeError" in stream.getvalue()
