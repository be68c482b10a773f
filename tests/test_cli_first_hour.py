"""The command line as a newcomer meets it in the first hour (issue 17, "Setup and the command line"):
a PostgreSQL URL without the driver, a pipe closed early, quiet output, an unknown workspace, a fresh
install seen by `doctor`, `run` refusing before it migrates, progress on a terminal only.

Everything runs the installed `mindset-bot` in a subprocess, as a person would.
"""

from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from storage.db import make_engine
from storage.models import Entry
from tests.fake_slack import FakeSlack
from tests.test_cli import SECRET, TOKEN, _script, clean_env, error_lines, mindset_bot, no_traceback

TEAM = "T111"


def _no_psycopg(tmp_path: Path) -> dict[str, str]:
    """Settings for a Python where `import psycopg` fails, as after the plain `pip install .`."""
    blocker = tmp_path / "no_psycopg"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text("import sys\nsys.modules['psycopg'] = None\n", encoding="utf-8")
    return {"PYTHONPATH": str(blocker)}


@pytest.mark.parametrize("command", [["run"], ["doctor"], ["db", "upgrade"], ["export"]])
def test_a_postgresql_url_without_the_driver_names_the_extra(tmp_path: Path, command: list[str]) -> None:
    result = mindset_bot(
        *command,
        cwd=tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        DATABASE_URL="postgresql://postgres@127.0.0.1:5432/mindset",
        **_no_psycopg(tmp_path),
    )

    assert result.returncode == 2, result.stdout + result.stderr
    no_traceback(result)
    [line] = error_lines(result)
    assert "`postgres` extra" in line, line
    assert "pip install '.[postgres]'" in line, line
    assert result.stdout == ""


def _database_with_entries(tmp_path: Path, count: int, team: str = TEAM) -> str:
    url = f"sqlite:///{tmp_path / 'big.db'}"
    assert mindset_bot("db", "upgrade", cwd=tmp_path, DATABASE_URL=url).returncode == 0
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(Entry),
                [
                    {
                        "team_id": team,
                        "kind": "proud",
                        "author_id": "U1001",
                        "channel_id": "C1001",
                        "text": f"Entry {number}: called the customer back the same day, as promised " * 2,
                        "created_at": datetime(2026, 3, 1, tzinfo=UTC),
                        "idempotency_key": f"k{number}",
                    }
                    for number in range(count)
                ],
            )
    finally:
        engine.dispose()
    return url


def test_export_into_a_pipe_closed_early_ends_quietly(tmp_path: Path) -> None:
    """`mindset-bot export | head -5`: far more than a pipe's buffer, and the reader stops after five lines."""
    url = _database_with_entries(tmp_path, 3000)
    process = subprocess.Popen(
        [_script(), "export"],
        cwd=tmp_path,
        env=clean_env(DATABASE_URL=url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    head = [process.stdout.readline() for _ in range(5)]
    process.stdout.close()
    errors = process.stderr.read().decode()
    code = process.wait(timeout=60)

    assert head[0].startswith(b"id,kind,created_at"), head
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
    assert errors == "", errors  # not a word: the reader chose to stop
    assert code == 141  # as `cat` killed by SIGPIPE


@pytest.fixture
def small(tmp_path: Path) -> str:
    return _database_with_entries(tmp_path, 3)


def test_export_and_digest_print_no_alembic_lines(tmp_path: Path, small: str) -> None:
    for command in (["export"], ["digest", "--team", TEAM]):
        result = mindset_bot(*command, cwd=tmp_path, DATABASE_URL=small)

        assert result.returncode == 0, result.stderr
        assert "alembic" not in result.stderr and "Context impl" not in result.stderr, result.stderr
        assert "Will assume" not in result.stderr, result.stderr


def test_a_migrating_command_says_what_it_applied_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"

    result = mindset_bot("db", "upgrade", cwd=tmp_path, DATABASE_URL=url)

    assert result.returncode == 0, result.stderr
    assert "Running upgrade" not in result.stderr, result.stderr  # alembic's own lines are not shown
    [migrated] = [line for line in result.stderr.splitlines() if "Migrated the database" in line]
    assert "0001" in migrated


@pytest.mark.parametrize("command", [["export"], ["export", "--format", "json"], ["digest"]])
def test_an_unknown_team_is_said_and_exits_non_zero(tmp_path: Path, small: str, command: list[str]) -> None:
    result = mindset_bot(*command, "--team", "TNOPE", cwd=tmp_path, DATABASE_URL=small)

    assert result.returncode == 7, result.stdout + result.stderr
    no_traceback(result)
    assert result.stdout == ""
    [line] = [line for line in error_lines(result) if line.startswith("mindset-bot:")]
    assert "--team TNOPE" in line and "knows no workspace" in line, line
    assert TEAM in line  # the workspaces it does know


def test_export_of_a_known_team_still_works(tmp_path: Path, small: str) -> None:
    result = mindset_bot("export", "--team", TEAM, cwd=tmp_path, DATABASE_URL=small)

    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 4


def test_doctor_on_a_fresh_install_does_not_call_the_missing_database_a_problem(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    result = mindset_bot(
        "doctor", cwd=tmp_path, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake_slack.api_url
    )

    no_traceback(result)
    [database] = [line for line in result.stdout.splitlines() if " database: " in line]
    assert database.startswith("OK       database: no database at mindset.db yet"), result.stdout
    assert "creates it" in database
    assert not any(line.startswith("PROBLEM") and "database" in line for line in result.stdout.splitlines())
    assert not (tmp_path / "mindset.db").exists()


def test_run_on_a_port_in_use_stops_before_it_migrates(tmp_path: Path, fake_slack: FakeSlack) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        result = mindset_bot(
            "run",
            "--no-scheduler",
            cwd=tmp_path,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake_slack.api_url,
            DATABASE_URL=f"sqlite:///{tmp_path / 'port.db'}",
            PORT=str(taken.getsockname()[1]),
        )

    assert result.returncode == 4, result.stderr
    assert any(line.startswith("mindset-bot: PORT") for line in error_lines(result)), result.stderr
    assert not (tmp_path / "port.db").exists()  # not created, let alone migrated


def test_run_with_a_refused_token_stops_before_it_migrates(tmp_path: Path, fake_slack: FakeSlack) -> None:
    fake_slack.fail("auth.test", "invalid_auth")

    result = mindset_bot(
        "run",
        cwd=tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'token.db'}",
    )

    assert result.returncode == 2, result.stderr
    no_traceback(result)
    assert any(line.startswith("mindset-bot: SLACK_BOT_TOKEN is rejected") for line in error_lines(result))
    assert not (tmp_path / "token.db").exists()


# -- progress: on a terminal, never in a pipe ------------------------------------------------------


def _on_a_terminal(args: list[str], cwd: Path, **settings: str) -> tuple[int, str, bytes]:
    """Run with standard error on a pseudo-terminal (standard output to a pipe, as `export > file`)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [_script(), *args], cwd=cwd, env=clean_env(**settings), stdout=subprocess.PIPE, stderr=follower
    )
    os.close(follower)
    shown = bytearray()
    out = bytearray()
    assert process.stdout is not None
    streams: dict[int, bytearray] = {leader: shown, process.stdout.fileno(): out}
    while streams:
        ready, _, _ = select.select(list(streams), [], [], 60)
        assert ready, "no output for 60 s"
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the terminal's other end closed (Linux says EIO)
                chunk = b""
            if chunk:
                streams[fd] += chunk
            else:
                del streams[fd]
    os.close(leader)
    return process.wait(timeout=60), shown.decode(errors="replace"), bytes(out)


@pytest.fixture
def terminal_database(tmp_path: Path) -> Iterator[str]:
    yield _database_with_entries(tmp_path, 500)


def test_export_shows_progress_on_a_terminal(tmp_path: Path, terminal_database: str) -> None:
    code, shown, out = _on_a_terminal(["export"], tmp_path, DATABASE_URL=terminal_database)

    assert code == 0, shown
    assert "Exporting entries: 500 of 500 (100%) done" in shown, shown
    assert b"Exporting" not in out  # the data stays clean
    assert len(out.decode().splitlines()) == 501


def test_export_in_a_pipe_shows_no_progress(tmp_path: Path, terminal_database: str) -> None:
    result = mindset_bot("export", cwd=tmp_path, DATABASE_URL=terminal_database)

    assert result.returncode == 0
    assert "Exporting" not in result.stderr, result.stderr


def test_purge_shows_progress_on_a_terminal_and_not_in_a_pipe(tmp_path: Path, terminal_database: str) -> None:
    code, shown, _ = _on_a_terminal(["purge", "--team", TEAM, "--yes"], tmp_path, DATABASE_URL=terminal_database)

    assert code == 0, shown
    assert "Deleting workspace T111" in shown and "done" in shown, shown

    again = mindset_bot("purge", "--team", TEAM, "--yes", cwd=tmp_path, DATABASE_URL=terminal_database)
    assert "Deleting" not in again.stderr


def test_migrations_show_progress_on_a_terminal_and_not_in_a_pipe(tmp_path: Path) -> None:
    code, shown, _ = _on_a_terminal(["db", "upgrade"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'a.db'}")

    assert code == 0, shown
    assert "Migrating the database:" in shown and "(100%) done" in shown, shown

    piped = mindset_bot("db", "upgrade", cwd=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")
    assert "Migrating the database:" not in piped.stderr, piped.stderr
