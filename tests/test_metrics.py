"""`GET /metrics`: what the bot counts, scraped after real requests, engine ticks and Slack's failures.

The registry belongs to the process, so each test compares a scrape after with a scrape before.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from prometheus_client.parser import text_string_to_metric_families
from slack_bolt import BoltRequest
from sqlalchemy import Engine

from bot.app import build_app
from bot.boundary import SignatureCheck, admit
from bot.deps import Deps
from bot.engine.scheduler import tick_once
from bot.metrics import exposition
from bot.server import make_http_server
from bot.slack_client import make_web_client
from tests.conftest import SIGNING_SECRET, RunningBot, make_settings
from tests.fake_slack import FakeSlack, Reply
from tests.slack_requests import SlackSender
from tests.test_cli import SECRET, TOKEN, _script, clean_env, free_port
from tests.test_engine_faults import DUE_AT, START, Setup
from tests.waiting import eventually

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return parse(response.read().decode())


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


# -- Slack's requests, over HTTP -----------------------------------------------------------------


def test_requests_are_counted_by_kind_and_outcome_and_timed(bot: RunningBot) -> None:
    before = parse(_exposition())  # the test's bot serves in this process: its registry is this one

    assert bot.slack.send_command("/proud", "Shipped the export fix").status == 200
    bot.fake.wait_for("chat.postMessage")
    forged = SlackSender(bot.url, "not-the-secret", "http://127.0.0.1:9/respond")
    assert forged.send_command("/proud", "Forged").status == 401
    odd = json.dumps({"type": "event_callback", "team": "T1", "event": 3, "actions": "x"})
    assert forged.post(odd, "application/json").status == 401  # any shape of body: refused, not a crash
    bot.fake.fail("views.open", "internal_error")
    assert bot.slack.send_command("/sorry", "").status == 200  # answered; the form fails after the answer
    bot.fake.wait_for("response_url:sorry")

    def failure_counted() -> Samples | None:
        now = parse(_exposition())
        return now if grew(before, now, "mindset_slack_background_failures_total", kind="/sorry") else None

    after = eventually(failure_counted)
    assert grew(before, after, "mindset_slack_requests_total", kind="/proud", outcome="ok") == 1
    assert grew(before, after, "mindset_slack_requests_total", kind="/sorry", outcome="ok") == 1
    assert grew(before, after, "mindset_slack_requests_total", kind="unverified", outcome="refused") == 2
    assert grew(before, after, "mindset_slack_requests_total", kind="/proud", outcome="refused") == 0
    assert grew(before, after, "mindset_slack_background_failures_total", kind="/sorry") == 1
    assert grew(before, after, "mindset_slack_request_seconds_count", kind="/proud") == 1
    assert grew(before, after, "mindset_slack_request_seconds_bucket", kind="/proud", le="+Inf") == 1
    assert grew(before, after, "mindset_slack_request_seconds_sum", kind="/proud") > 0
    # the listeners' own calls, made with the client Bolt gives each request
    assert grew(before, after, "mindset_slack_api_calls_total", method="chat.postMessage", outcome="ok") == 1
    assert grew(before, after, "mindset_slack_api_calls_total", method="views.open", outcome="error") == 1
    assert value(after, "process_resident_memory_bytes") > 0  # and the process's own


def test_a_listener_that_raises_before_the_answer_counts_as_an_error(deps: Deps, fake_slack: FakeSlack) -> None:
    app = build_app(deps)

    @app.command("/boom")
    def boom(ack: object) -> None:
        raise RuntimeError("boom")

    sender = SlackSender("http://127.0.0.1:9", SIGNING_SECRET, fake_slack.response_url("x")[:-2])
    raw = urlencode(sender.command_body("/boom", "now"))
    timestamp = str(int(time.time()))
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [timestamp],
        "x-slack-signature": [sender.verifier.generate_signature(timestamp=timestamp, body=raw)],
    }
    request = admit(raw.encode(), headers, "", SignatureCheck(SIGNING_SECRET))  # as the HTTP front does
    assert isinstance(request, BoltRequest)
    before = parse(_exposition())

    response = app.dispatch(request)

    assert response.status == 200  # the person gets our kind message, Slack a 200
    after = parse(_exposition())
    # not one of the app's commands (bot/ids.py): counted, under `other`
    assert grew(before, after, "mindset_slack_requests_total", kind="other", outcome="error") == 1
    assert grew(before, after, "mindset_slack_requests_total", kind="/boom", outcome="error") == 0


# -- /metrics on PORT: only with METRICS_TOKEN -------------------------------------------------------


def test_metrics_are_not_served_on_the_slack_port_without_a_token(bot: RunningBot) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bot.url + "/metrics", timeout=5)
    assert refused.value.code == 404


@pytest.fixture
def bot_with_metrics_token(deps: Deps, engine: Engine) -> Iterator[str]:
    server = make_http_server(
        build_app(deps),
        engine,
        signing_secret=SIGNING_SECRET,
        host="127.0.0.1",
        port=0,
        threads=2,
        metrics_token=METRICS_TOKEN,
    )
    thread = threading.Thread(target=server.serve, name="bot-http-metrics", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/metrics"
    finally:
        server.stop()
        thread.join(timeout=10)


METRICS_TOKEN = "metrics-token-of-the-tests-0123456789"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token-0123456789", f"Basic {METRICS_TOKEN}", "Bearer "])
def test_metrics_on_the_slack_port_need_the_bearer_token(
    bot_with_metrics_token: str, authorization: str | None
) -> None:
    request = urllib.request.Request(bot_with_metrics_token)
    if authorization is not None:
        request.add_header("Authorization", authorization)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"] == "Bearer"


def test_metrics_on_the_slack_port_with_the_bearer_token(bot_with_metrics_token: str) -> None:
    request = urllib.request.Request(bot_with_metrics_token, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        assert value(parse(response.read().decode()), "process_resident_memory_bytes") > 0


def test_metrics_port_is_9464_unless_set_and_off_turns_it_off() -> None:
    assert make_settings().metrics_port == 9464
    assert make_settings(metrics_port="").metrics_port == 9464
    assert make_settings(metrics_port="off").metrics_port is None
    assert make_settings(metrics_port="9100").metrics_port == 9100
    assert make_settings().metrics_token is None


@pytest.mark.parametrize("token", ["short", "has spaces in it somewhere"])
def test_a_weak_metrics_token_is_one_clear_line(tmp_path: Path, token: str) -> None:
    result = subprocess.run(
        [_script(), "run"],
        cwd=tmp_path,
        env=clean_env(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, METRICS_TOKEN=token),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("mindset-bot: METRICS_TOKEN is invalid"), line
    assert token not in line


def _exposition() -> str:
    return exposition().decode()


# -- the engine ----------------------------------------------------------------------------------


def test_engine_ticks_count_claimed_sent_retried_failed_and_rate_limit_waits(deps: Deps, fake_slack: FakeSlack) -> None:
    """Three reminders due at once: Slack rate-limits the first (the client waits Retry-After, then
    it goes), refuses the second for good and fails the third for now."""
    setup = Setup(deps, fake_slack, items=3)
    setup.client = make_web_client(deps.settings)  # what `mindset-bot run` uses: counting, retrying
    engine = setup.engine("engine-metrics")
    setup.clock.now = START
    tick_once(engine)
    fake_slack.script(
        "chat.postMessage",
        Reply(status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "0"}),
        Reply(body={"ok": True, "channel": "D1", "ts": "1.1"}),
        Reply(body={"ok": False, "error": "user_not_found"}),
        Reply(body={"ok": False, "error": "fatal_error"}),
    )
    before = parse(_exposition())

    setup.clock.now = DUE_AT
    tick_once(engine)

    after = parse(_exposition())
    kind = "action_reminder"
    assert grew(before, after, "mindset_nudges_claimed_total", kind=kind) == 3
    assert grew(before, after, "mindset_nudges_sent_total", kind=kind) == 1
    assert grew(before, after, "mindset_nudges_failed_total", kind=kind) == 1
    assert grew(before, after, "mindset_nudges_retried_total", kind=kind) == 1
    assert grew(before, after, "mindset_engine_ticks_total", outcome="ok") == 1
    assert grew(before, after, "mindset_engine_tick_seconds_count") == 1
    assert grew(before, after, "mindset_slack_rate_limit_waits_total", method="chat.postMessage") == 1
    assert grew(before, after, "mindset_slack_api_calls_total", method="chat.postMessage", outcome="ok") == 1
    assert grew(before, after, "mindset_slack_api_calls_total", method="chat.postMessage", outcome="error") == 2

    # the one to retry goes at its time, counted as sent
    setup.clock.now = DUE_AT + timedelta(minutes=1)
    tick_once(engine)
    later = parse(_exposition())
    assert grew(after, later, "mindset_nudges_claimed_total", kind=kind) == 1
    assert grew(after, later, "mindset_nudges_sent_total", kind=kind) == 1


# -- METRICS_PORT: the scheduler's own port, and `run`'s when set ----------------------------------


def _wait_for_metrics(url: str, process: subprocess.Popen[bytes], log: Path) -> Samples:
    def read() -> Samples | None:
        if process.poll() is not None:
            raise AssertionError(f"mindset-bot exited with {process.returncode}:\n{log.read_text()}")
        try:
            samples = scrape(url)
        except (urllib.error.URLError, ConnectionError):
            return None
        return samples if value(samples, "mindset_engine_ticks_total", outcome="ok") >= 1 else None

    return eventually(read, timeout=30)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_scheduler_serves_metrics_on_metrics_port(
    tmp_path: Path, fake_slack: FakeSlack, started: list[subprocess.Popen[bytes]]
) -> None:
    metrics_port = free_port()
    env = clean_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'scheduler.db'}",
        METRICS_PORT=str(metrics_port),
    )
    log = tmp_path / "scheduler.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([_script(), "scheduler"], cwd=tmp_path, env=env, stdout=sink, stderr=sink)
    started.append(process)

    samples = _wait_for_metrics(f"http://127.0.0.1:{metrics_port}/metrics", process, log)

    assert value(samples, "mindset_engine_tick_seconds_count") >= 1
    assert value(samples, "mindset_slack_api_calls_total", method="auth.test", outcome="ok") == 1
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0, log.read_text()


def test_run_with_metrics_port_keeps_metrics_off_the_slack_port(
    tmp_path: Path, fake_slack: FakeSlack, started: list[subprocess.Popen[bytes]]
) -> None:
    port, metrics_port = free_port(), free_port()
    env = clean_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        PORT=str(port),
        METRICS_PORT=str(metrics_port),
        HTTP_THREADS="2",
    )
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([_script(), "run"], cwd=tmp_path, env=env, stdout=sink, stderr=sink)
    started.append(process)

    _wait_for_metrics(f"http://127.0.0.1:{metrics_port}/metrics", process, log)

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert refused.value.code == 404
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
        assert health.status == 200


@pytest.mark.parametrize("metrics_port", ["0", "70000", "nine"])
def test_a_bad_metrics_port_is_one_clear_line(tmp_path: Path, metrics_port: str) -> None:
    result = subprocess.run(
        [_script(), "scheduler"],
        cwd=tmp_path,
        env=clean_env(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, METRICS_PORT=metrics_port),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("mindset-bot: METRICS_PORT is invalid"), line
    assert "METRICS_PORT=9464" in line and "off" in line


def test_a_metrics_port_in_use_stops_the_scheduler_with_exit_code_4(tmp_path: Path, fake_slack: FakeSlack) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        result = subprocess.run(
            [_script(), "scheduler"],
            cwd=tmp_path,
            env=clean_env(
                SLACK_BOT_TOKEN=TOKEN,
                SLACK_SIGNING_SECRET=SECRET,
                SLACK_API_URL=fake_slack.api_url,
                DATABASE_URL=f"sqlite:///{tmp_path / 'taken.db'}",
                METRICS_PORT=str(taken.getsockname()[1]),
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert any(line.startswith("mindset-bot: METRICS_PORT") for line in result.stderr.splitlines()), result.stderr
