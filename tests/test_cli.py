"""`mindset-bot`, the command line: settings errors, the database commands, export, and the README's run path.

What only the installed console script can prove (exit codes, no traceback, reading `.env` from the
working directory, serving HTTP and stopping on SIGTERM) runs `mindset-bot` in a subprocess, in a
temporary working directory and without the caller's settings. The rest calls `bot.cli.main` in-process.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import Engine, inspect, select

from bot import cli
from bot.deps import Deps
from bot.services import entries as entry_service
from bot.services import groups as group_service
from storage.db import make_engine, make_session_factory
from storage.models import Area, Entry, EntryKind
from tests.conftest import create_pg_database, drop_pg_database, make_settings
from tests.engine_harness import SimClock
from tests.fake_slack import FakeSlack, Reply
from tests.slack_requests import CHANNEL, TEAM, USER, Answer, SlackSender
from tests.waiting import eventually

SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "DATABASE_URL",
    "PORT",
    "HTTP_THREADS",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "DB_POOL_SIZE",
    "METRICS_PORT",
    "METRICS_TOKEN",
    "HTTP_IDLE_TIMEOUT",
    "HTTP_MAX_CONNECTIONS",
    "DB_CONNECT_TIMEOUT",
    "DB_POOL_TIMEOUT",
    "DB_STATEMENT_TIMEOUT",
)
HEADER = [
    "id",
    "kind",
    "created_at",
    "team",
    "author",
    "channel",
    "text",
    "customer_groups",
    "area",
    "stage",
    "root_cause",
]
SECRET = "cli-test-signing-secret"
TOKEN = "xoxb-cli-test-token"


def _script() -> str:
    found = shutil.which("mindset-bot", path=str(Path(sys.executable).parent)) or shutil.which("mindset-bot")
    if found is None:
        pytest.fail("the mindset-bot console script is not installed: pip install -e '.[test]'")
    return found


def clean_env(**settings: str) -> dict[str, str]:
    """The caller's environment without any of the bot's settings, plus `settings`. Metrics are off unless
    asked for: bots started by tests at once would all want the default METRICS_PORT."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith("SLACK_") and key.upper() not in SETTINGS
    }
    env["METRICS_PORT"] = "off"
    env.update(settings)
    return env


def mindset_bot(*args: str, cwd: Path, timeout: float = 60, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_script(), *args], cwd=cwd, env=clean_env(**settings), capture_output=True, text=True, timeout=timeout
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr


def plain_pg_url(url: str) -> str:
    """The URL as the README writes it: postgresql://..., not SQLAlchemy's postgresql+psycopg://..."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# -- settings ------------------------------------------------------------------------------------


def test_run_without_tokens_names_each_missing_setting(tmp_path: Path) -> None:
    result = mindset_bot("run", cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    no_traceback(result)
    lines = error_lines(result)
    assert len(lines) == 2, lines
    assert lines[0].startswith("mindset-bot: SLACK_BOT_TOKEN is missing"), lines
    assert lines[1].startswith("mindset-bot: SLACK_SIGNING_SECRET is missing"), lines
    assert "xoxb-" in lines[0]  # says what to put there
    assert not any(line.endswith("....") for line in lines), lines
    assert list(tmp_path.iterdir()) == []  # no database was created on the way out


def test_run_with_malformed_settings_names_each_one(tmp_path: Path) -> None:
    result = mindset_bot(
        "run",
        cwd=tmp_path,
        SLACK_BOT_TOKEN="abc",
        SLACK_SIGNING_SECRET=SECRET,
        PORT="notanumber",
        DATABASE_URL="mysql://x",
        LOG_LEVEL="LOUD",
    )

    assert result.returncode == 2, result.stderr
    no_traceback(result)
    lines = error_lines(result)
    named = sorted(line.removeprefix("mindset-bot: ").split(" ", 1)[0] for line in lines)
    assert named == ["DATABASE_URL", "LOG_LEVEL", "PORT", "SLACK_BOT_TOKEN"], lines
    assert all(line.startswith("mindset-bot: ") and " is invalid" in line for line in lines), lines
    assert list(tmp_path.iterdir()) == []


def test_settings_are_read_from_dotenv_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN=abc\nSLACK_SIGNING_SECRET={SECRET}\n", encoding="utf-8")

    result = mindset_bot("run", cwd=tmp_path)

    assert result.returncode == 2, result.stderr
    no_traceback(result)
    lines = error_lines(result)
    # the signing secret came from .env (not reported missing); the token from .env is the malformed one
    assert len(lines) == 1, lines
    assert lines[0].startswith("mindset-bot: SLACK_BOT_TOKEN is invalid"), lines


def test_database_url_from_dotenv_is_where_db_upgrade_writes(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///from-dotenv.db\n", encoding="utf-8")

    result = mindset_bot("db", "upgrade", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-dotenv.db").exists()
    assert not (tmp_path / "mindset.db").exists()


@pytest.fixture
def in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """In-process: no settings from the caller, a clean working directory, and logging left to pytest."""
    for key in list(os.environ):
        if key.upper().startswith("SLACK_") or key.upper() in SETTINGS:
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)
    return tmp_path


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_BOT_TOKEN", "abc"),
        ("SLACK_BOT_TOKEN", "xoxp-a-user-token"),
        ("SLACK_SIGNING_SECRET", "changeme"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token"),
        ("SLACK_API_URL", "slack.com/api"),
        ("PORT", "notanumber"),
        ("PORT", "70000"),
        ("HTTP_THREADS", "0"),
        ("DATABASE_URL", "mysql://x"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_each_malformed_setting_alone_is_the_one_line(
    in_tmp_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv(name, value)

    code = cli.main(["run"])

    assert code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"mindset-bot: {name} is invalid"), lines


# -- the database --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["run"], ["db", "upgrade"], ["export"]])
def test_unreachable_database_exits_3_naming_database_url(
    tmp_path: Path, command: list[str], fake_slack: FakeSlack
) -> None:
    result = mindset_bot(
        *command,
        cwd=tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,  # `run` asks Slack about its token first
        DATABASE_URL="postgresql://postgres:hunter2@127.0.0.1:1/nope",
    )

    assert result.returncode == 3, result.stdout + result.stderr
    no_traceback(result)
    lines = [line for line in error_lines(result) if " INFO " not in line]  # `run` logs the token's workspace
    assert len(lines) == 1, lines
    assert lines[0].startswith("mindset-bot: DATABASE_URL"), lines
    assert "hunter2" not in result.stderr + result.stdout  # the password is not printed
    assert result.stdout == ""


def test_db_upgrade_creates_the_schema_and_can_run_again(tmp_path: Path) -> None:
    database = tmp_path / "new.db"

    first = mindset_bot("db", "upgrade", cwd=tmp_path, DATABASE_URL=f"sqlite:///{database}")

    assert first.returncode == 0, first.stderr
    no_traceback(first)
    assert "up to date" in first.stdout
    engine = make_engine(f"sqlite:///{database}", pool_size=1)
    try:
        assert {"entries", "customer_groups", "action_items", "alembic_version"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()

    again = mindset_bot("db", "upgrade", cwd=tmp_path, DATABASE_URL=f"sqlite:///{database}")

    assert again.returncode == 0, again.stderr
    no_traceback(again)
    assert "up to date" in again.stdout


def test_db_upgrade_without_database_url_uses_mindset_db_in_the_working_directory(tmp_path: Path) -> None:
    result = mindset_bot("db", "upgrade", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "mindset.db").exists()


def test_run_on_a_port_in_use_says_so_without_a_traceback(tmp_path: Path, fake_slack: FakeSlack) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        result = mindset_bot(
            "run",
            "--no-scheduler",
            cwd=tmp_path,
            timeout=30,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake_slack.api_url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'port.db'}",
            PORT=str(taken.getsockname()[1]),
        )

    assert result.returncode == 4, result.stderr
    no_traceback(result)
    assert any(line.startswith("mindset-bot: PORT") for line in error_lines(result)), result.stderr


# -- export --------------------------------------------------------------------------------------


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


TRICKY_TEXT = 'Called back, "right away", twice;\nthen again, with a refund & a <note>'


@dataclass
class Seeded:
    url: str
    proud: int
    sorry: int
    late_proud: int
    next_day_sorry: int


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    """Four entries on known dates: two on 1 March (one of them a second before midnight), two on 2 March."""
    clock = SimClock(at(1, 9, 30))
    deps = Deps(
        settings=make_settings(database_url=str(engine.url)),
        session_factory=make_session_factory(engine),
        clock=clock,
    )
    clinics = group_service.add_group(deps, team_id=TEAM, name="Small clinics", by=USER)
    labs = group_service.add_group(deps, team_id=TEAM, name="Research labs", by=USER)

    def log(kind: EntryKind, text: str, key: str, **extra: Any) -> int:
        new = entry_service.NewEntry(
            team_id=TEAM, kind=kind, author_id=USER, channel_id=CHANNEL, text=text, idempotency_key=key, **extra
        )
        return entry_service.log_entry(deps, new).card.id

    proud = log(EntryKind.PROUD, TRICKY_TEXT, "k1", group_ids=[clinics.id, labs.id])
    clock.now = at(1, 11)
    sorry = log(
        EntryKind.SORRY,
        "Three customers waited 2 days for refunds",
        "k2",
        group_ids=[clinics.id],
        area=Area.OPERATIONS,
        stage="Get help",
    )
    clock.now = at(1, 23, 59, 59)
    late_proud = log(EntryKind.PROUD, "Answered the midnight ticket", "k3")
    clock.now = at(2, 0)
    next_day_sorry = log(EntryKind.SORRY, "The invoice was wrong again", "k4")
    clock.now = at(2, 8)
    assert entry_service.add_root_cause(
        deps, team_id=TEAM, entry_id=sorry, root_cause="Refunds wait for a weekly batch, by design", by=USER
    )
    return Seeded(str(engine.url.render_as_string(hide_password=False)), proud, sorry, late_proud, next_day_sorry)


def export(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str, *args: str
) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    code = cli.main(["export", *args])
    return code, capsys.readouterr().out


def csv_rows(out: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(out, newline="")))


def test_export_csv_has_the_documented_columns_and_round_trips_text(
    seeded: Seeded, in_tmp_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = export(monkeypatch, capsys, seeded.url)

    assert code == 0
    header, *rows = csv_rows(out)
    assert header == HEADER
    by_id = {int(row[0]): dict(zip(HEADER, row, strict=True)) for row in rows}
    assert list(by_id) == [seeded.proud, seeded.sorry, seeded.late_proud, seeded.next_day_sorry]  # oldest first
    proud, sorry = by_id[seeded.proud], by_id[seeded.sorry]
    assert proud == {
        "id": str(seeded.proud),
        "kind": "proud",
        "created_at": "2026-03-01T09:30:00Z",
        "team": TEAM,
        "author": USER,
        "channel": CHANNEL,
        "text": TRICKY_TEXT,  # commas, quotes, a newline, & and < > exactly as typed
        "customer_groups": "Research labs; Small clinics",
        "area": "",
        "stage": "",
        "root_cause": "",
    }
    assert (sorry["kind"], sorry["created_at"], sorry["customer_groups"]) == (
        "sorry",
        "2026-03-01T11:00:00Z",
        "Small clinics",
    )
    assert sorry["root_cause"] == "Refunds wait for a weekly batch, by design"
    assert sorry["area"] == "operations"
    assert sorry["stage"] == "Get help"
    assert by_id[seeded.late_proud]["created_at"] == "2026-03-01T23:59:59Z"
    for row in by_id.values():
        assert datetime.fromisoformat(row["created_at"]).utcoffset() is not None


def test_export_json_is_a_list_of_objects_with_the_same_fields(
    seeded: Seeded, in_tmp_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = export(monkeypatch, capsys, seeded.url, "--format", "json")

    assert code == 0
    records = json.loads(out)
    assert isinstance(records, list)
    assert [list(record) for record in records] == [HEADER] * 4
    first = records[0]
    assert first["id"] == seeded.proud
    assert first["text"] == TRICKY_TEXT
    assert first["created_at"] == "2026-03-01T09:30:00Z"
    assert first["customer_groups"] == ["Research labs", "Small clinics"]
    assert records[1]["root_cause"] == "Refunds wait for a weekly batch, by design"


def test_export_kind_sorry_has_only_sorries(
    seeded: Seeded, in_tmp_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = export(monkeypatch, capsys, seeded.url, "--kind", "sorry")

    assert code == 0
    header, *rows = csv_rows(out)
    assert [(int(row[0]), row[1]) for row in rows] == [(seeded.sorry, "sorry"), (seeded.next_day_sorry, "sorry")]


def test_export_since_keeps_entries_from_that_utc_day_on(
    seeded: Seeded, in_tmp_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = export(monkeypatch, capsys, seeded.url, "--since", "2026-03-02", "--format", "json")
    assert code == 0
    assert [record["id"] for record in json.loads(out)] == [seeded.next_day_sorry]  # 23:59:59 the day before is out

    code, out = export(monkeypatch, capsys, seeded.url, "--since", "2026-03-01", "--kind", "proud")
    assert code == 0
    assert [int(row[0]) for row in csv_rows(out)[1:]] == [seeded.proud, seeded.late_proud]

    code, out = export(monkeypatch, capsys, seeded.url, "--since", "2026-03-03")
    assert code == 0
    assert csv_rows(out) == [HEADER]

    code, out = export(monkeypatch, capsys, seeded.url, "--since", "2026-03-03", "--format", "json")
    assert code == 0
    assert json.loads(out) == []


@pytest.mark.parametrize("since", ["yesterday", "2026-02-30", "03/01/2026"])
def test_export_with_a_bad_since_is_a_usage_error(
    in_tmp_dir: Path, capsys: pytest.CaptureFixture[str], since: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["export", "--since", since])

    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--since" in captured.err
    assert f"{since!r} is not a date like 2026-01-31" in captured.err
    assert "Traceback" not in captured.err
    assert list(in_tmp_dir.iterdir()) == []  # it stopped before opening any database


def test_export_from_a_database_file_that_is_not_there_creates_nothing(tmp_path: Path) -> None:
    result = mindset_bot("export", cwd=tmp_path, DATABASE_URL="sqlite:///mindest.db")  # a typo
    assert result.returncode == 3, result.stderr
    no_traceback(result)
    [line] = error_lines(result)
    assert line.startswith("mindset-bot: DATABASE_URL: there is no database at mindest.db")
    assert list(tmp_path.iterdir()) == []
    assert result.stdout == ""


def test_export_bad_since_from_the_console_script(tmp_path: Path) -> None:
    result = mindset_bot("export", "--since", "yesterday", cwd=tmp_path)

    assert result.returncode == 2
    no_traceback(result)
    assert "'yesterday' is not a date like 2026-01-31" in result.stderr


def test_export_from_the_console_script_writes_only_csv_to_stdout(seeded: Seeded, tmp_path: Path) -> None:
    """`mindset-bot export > entries.csv` gives a clean file: logs go to stderr, data to stdout."""
    result = mindset_bot("export", cwd=tmp_path, DATABASE_URL=plain_pg_url(seeded.url), LOG_LEVEL="DEBUG")

    assert result.returncode == 0, result.stderr
    no_traceback(result)
    header, *rows = csv_rows(result.stdout)
    assert header == HEADER
    assert [int(row[0]) for row in rows] == [seeded.proud, seeded.sorry, seeded.late_proud, seeded.next_day_sorry]
    assert rows[0][HEADER.index("text")] == TRICKY_TEXT


# -- the README's run path, for real -------------------------------------------------------------


# Ports for the bots these tests start, below Linux's ephemeral range (32768-60999) and a block of
# their own for each pytest-xdist worker. A port the kernel picks (bind to 0) is free only until the
# child binds it: another worker's probe could get the same one meanwhile, its bot would answer our
# health check, and our requests would reach a process another test is about to stop.
PORTS_PER_WORKER = 400
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
# MINDSET_TEST_PORTS_FROM moves the whole range, so that two runs of the suite on one machine (two checkouts)
# do not hand out the same ports
_PORTS_FROM = int(os.environ.get("MINDSET_TEST_PORTS_FROM", "20000"))
_next_ports = itertools.cycle(
    range(_PORTS_FROM + _WORKER * PORTS_PER_WORKER, _PORTS_FROM + (_WORKER + 1) * PORTS_PER_WORKER)
)


def free_port() -> int:
    """A port no other test worker hands out, free at the moment (in turn, so a stopped bot's port
    rests before it is used again)."""
    for _ in range(PORTS_PER_WORKER):
        port = next(_next_ports)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a test bot")


@dataclass
class BotProcess:
    process: subprocess.Popen[bytes]
    log: Path
    url: str
    database_url: str

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def health(self) -> Answer | None:
        if self.process.poll() is not None:
            raise AssertionError(f"mindset-bot exited with {self.process.returncode}:\n{self.output()}")
        request = urllib.request.Request(self.url + "/healthz", method="GET")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return Answer(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode(), dict(error.headers))
        except (urllib.error.URLError, ConnectionError):
            return None  # not listening yet

    def healthy(self) -> Answer | None:
        answer = self.health()
        return answer if answer is not None and answer.status == 200 else None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def run_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new database the bot has never seen: `run` must migrate it itself."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'served.db'}"
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    url = create_pg_database(admin_url, prefix="mindset_cli")
    try:
        yield plain_pg_url(url)
    finally:
        drop_pg_database(admin_url, url)


def start_bot(args: list[str], cwd: Path, database_url: str, fake: FakeSlack) -> Iterator[BotProcess]:
    port = free_port()
    log = cwd / "mindset-bot.log"
    env = clean_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        HTTP_THREADS="4",
    )
    with log.open("wb") as sink:
        process = subprocess.Popen([_script(), *args], cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield BotProcess(process, log, f"http://127.0.0.1:{port}", database_url)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@pytest.fixture(params=[[], ["--no-scheduler"]], ids=["run", "run --no-scheduler"])
def bot_process(
    request: pytest.FixtureRequest, tmp_path: Path, run_database_url: str, fake_slack: FakeSlack
) -> Iterator[BotProcess]:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    yield from start_bot(["run", *request.param], cwd, run_database_url, fake_slack)


def stored_entries(database_url: str) -> list[Entry]:
    engine = make_engine(database_url, pool_size=1)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(select(Entry).order_by(Entry.id)))
    finally:
        engine.dispose()


def test_run_serves_slack_over_http_and_stops_on_sigterm(bot_process: BotProcess, fake_slack: FakeSlack) -> None:
    healthy = eventually(bot_process.healthy, timeout=30)
    assert healthy is not None
    assert healthy.json == {"status": "ok", "database": "ok"}
    # the web dashboard is served by the same process; without SLACK_CLIENT_ID it says what to set
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bot_process.url + "/dashboard", timeout=5)
    assert refused.value.code == 503 and "SLACK_CLIENT_ID" in refused.value.read().decode()
    # it checked its token with Slack at start-up, at the URL it was given
    [checked] = fake_slack.wait_for("auth.test")
    assert checked.token == TOKEN

    slack = SlackSender(bot_process.url, SECRET, fake_slack.response_url("x")[:-2])
    answer = slack.send_command("/proud", "Shipped it")

    assert answer.status == 200, answer.text
    assert answer.json["response_type"] == "ephemeral"
    assert "Saved your proud" in answer.json["text"]
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    assert post.token == TOKEN
    assert "Shipped it" in json.dumps(post.params.get("blocks"))
    [entry] = eventually(lambda: [e for e in stored_entries(bot_process.database_url) if e.message_ts])
    assert (entry.text, entry.kind, entry.team_id, entry.author_id, entry.channel_id) == (
        "Shipped it",
        "proud",
        TEAM,
        USER,
        CHANNEL,
    )

    # a request signed with another secret is refused: the process uses the secret it was given
    forged = SlackSender(bot_process.url, "not-the-secret", fake_slack.response_url("x")[:-2])
    assert forged.post_form(urlencode(forged.command_body("/proud", "Forged"))).status == 401
    assert [e.text for e in stored_entries(bot_process.database_url)] == ["Shipped it"]

    bot_process.process.send_signal(signal.SIGTERM)

    try:
        code = bot_process.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mindset-bot did not stop within 15 s of SIGTERM:\n{bot_process.output()}")
    output = bot_process.output()
    assert code == 0, output  # bot/cli.py: SIGTERM stops the server, run() returns, main() returns 0
    assert "Traceback" not in output, output
    assert " ERROR " not in output, output
    assert "Stopping on signal" in output
    assert "will be unused" not in output  # Bolt's notice about the token it reads itself is not noise we show


@contextlib.contextmanager
def socket_mode_bot(cwd: Path, fake: FakeSlack) -> Iterator[BotProcess]:
    env = clean_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_APP_TOKEN="xapp-cli-test-token",
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=f"sqlite:///{cwd / 'socket.db'}",
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


def test_socket_mode_keeps_trying_while_slack_cannot_be_reached_and_stops_on_sigterm(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    fake_slack.server_error("apps.connections.open", status=503, times=1000)
    with socket_mode_bot(tmp_path, fake_slack) as bot:
        eventually(lambda: bot.output().count("trying again") >= 2, timeout=30)
        assert bot.process.poll() is None, bot.output()  # still running, waiting for Slack
        # it asked with the app-level token, at the URL it was given
        assert {call.token for call in fake_slack.calls_to("apps.connections.open")} == {"xapp-cli-test-token"}

        bot.process.send_signal(signal.SIGTERM)
        code = bot.process.wait(timeout=30)  # a bound for a hung process, not a timing claim
        output = bot.output()
    assert code == 0, output
    assert "Traceback" not in output, output


def test_sigterm_does_not_wait_for_a_socket_mode_connection_slack_is_slow_to_answer(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    # Slack takes five minutes to answer apps.connections.open (slack_sdk's own timeout and retries would make
    # it longer still): a deploy's SIGTERM must not wait for that
    fake_slack.script("apps.connections.open", *[Reply(body={"ok": False, "error": "fatal_error"}, delay=300)] * 3)
    with socket_mode_bot(tmp_path, fake_slack) as bot:
        eventually(lambda: bool(fake_slack.calls_to("apps.connections.open")), timeout=30)
        bot.process.send_signal(signal.SIGTERM)
        code = bot.process.wait(timeout=60)  # far less than the five minutes the attempt would take
        output = bot.output()
    assert code == 0, output
    assert "Stopping on signal" in output and "Traceback" not in output, output


def test_socket_mode_with_a_rejected_app_token_says_so(tmp_path: Path, fake_slack: FakeSlack) -> None:
    fake_slack.fail("apps.connections.open", "invalid_auth", times=5)
    result = mindset_bot(
        "run",
        cwd=tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_APP_TOKEN="xapp-revoked",
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'socket.db'}",
    )
    assert result.returncode == 2, result.stderr
    no_traceback(result)
    assert any(line.startswith("mindset-bot: SLACK_APP_TOKEN is rejected") for line in error_lines(result))
