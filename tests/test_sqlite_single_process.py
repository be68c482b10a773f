"""SQLite serves one process: a second `run` or `scheduler` on the same file stops at once, saying why.

Real `mindset-bot` processes: the lock is the operating system's (flock), held for the process's
lifetime and released however it ends. PostgreSQL takes no such lock. And the pool's size.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import cli
from storage import db
from tests.conftest import make_settings
from tests.fake_slack import FakeSlack
from tests.test_cli import SECRET, SETTINGS, TOKEN, BotProcess, _script, clean_env, error_lines, free_port, no_traceback
from tests.waiting import eventually

NEW_SETTINGS = ("LOG_FORMAT", "DB_POOL_SIZE", "METRICS_PORT")


@pytest.fixture
def first_bot(tmp_path: Path, fake_slack: FakeSlack) -> Iterator[BotProcess]:
    """`mindset-bot run --no-scheduler` serving on a SQLite file, healthy."""
    port = free_port()
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    log = tmp_path / "first.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [_script(), "run", "--no-scheduler"],
            cwd=tmp_path,
            env=settings_env(fake_slack, url, PORT=str(port)),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    bot = BotProcess(process, log, f"http://127.0.0.1:{port}", url)
    try:
        eventually(bot.healthy, timeout=30)
        yield bot
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def settings_env(fake: FakeSlack, database_url: str, **more: str) -> dict[str, str]:
    return clean_env(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url,
        HTTP_THREADS="2",
        **more,
    )


def second(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_script(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args", [["scheduler"], ["run"], ["run", "--no-scheduler"]])
def test_a_second_process_on_the_same_sqlite_file_exits_6_saying_why(
    first_bot: BotProcess, tmp_path: Path, fake_slack: FakeSlack, args: list[str]
) -> None:
    result = second(args, tmp_path, settings_env(fake_slack, first_bot.database_url, PORT=str(free_port())))

    assert result.returncode == 6, result.stdout + result.stderr
    no_traceback(result)
    [line] = error_lines(result)
    assert line.startswith("mindset-bot: DATABASE_URL: another mindset-bot"), line
    assert f"(process {first_bot.process.pid})" in line
    assert "SQLite allows one process only" in line and "PostgreSQL" in line
    assert first_bot.healthy() is not None  # the first one serves on, untouched
    assert (tmp_path / "shared.db.lock").exists()


def test_maintenance_commands_do_not_need_the_lock(
    first_bot: BotProcess, tmp_path: Path, fake_slack: FakeSlack
) -> None:
    env = settings_env(fake_slack, first_bot.database_url)

    assert second(["db", "upgrade"], tmp_path, env).returncode == 0
    exported = second(["export"], tmp_path, env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("id,kind,created_at")


def test_the_lock_goes_with_the_process(first_bot: BotProcess, tmp_path: Path, fake_slack: FakeSlack) -> None:
    first_bot.process.send_signal(signal.SIGTERM)
    assert first_bot.process.wait(timeout=15) == 0, first_bot.output()
    log = tmp_path / "scheduler.log"
    with log.open("wb") as sink:
        scheduler = subprocess.Popen(
            [_script(), "scheduler"],
            cwd=tmp_path,
            env=settings_env(fake_slack, first_bot.database_url),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        eventually(lambda: "Engine running" in log.read_text(encoding="utf-8"), timeout=30)
        assert scheduler.poll() is None, log.read_text(encoding="utf-8")
        # killed outright, without any chance to clean up: the OS releases the lock all the same
        scheduler.kill()
        scheduler.wait(timeout=10)
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
            scheduler.wait(timeout=10)
    again = subprocess.Popen(
        [_script(), "scheduler"],
        cwd=tmp_path,
        env=settings_env(fake_slack, first_bot.database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            again.wait(timeout=3)  # still running: it got the lock
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=15)


def test_a_database_folder_that_is_not_there_is_a_database_error(tmp_path: Path, fake_slack: FakeSlack) -> None:
    result = second(["scheduler"], tmp_path, settings_env(fake_slack, f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}"))

    assert result.returncode == 3, result.stderr
    no_traceback(result)
    [line] = error_lines(result)
    assert line.startswith("mindset-bot: DATABASE_URL: cannot create the lock file"), line


# -- the pool ------------------------------------------------------------------------------------


def test_pool_size_comes_from_db_pool_size_or_http_threads() -> None:
    assert make_settings().pool_size == 16  # HTTP_THREADS' default
    assert make_settings(http_threads=2).pool_size == 5  # never fewer than 5: the engine and background work
    assert make_settings(http_threads=40).pool_size == 40
    assert make_settings(http_threads=256).pool_size == 100  # bounded
    assert make_settings(http_threads=40, db_pool_size=8).pool_size == 8


@pytest.mark.parametrize("value", ["0", "101", "many"])
def test_a_bad_db_pool_size_is_one_clear_line(tmp_path: Path, value: str) -> None:
    result = second(
        ["run"], tmp_path, clean_env(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, DB_POOL_SIZE=value)
    )

    assert result.returncode == 2, result.stderr
    [line] = error_lines(result)
    assert line.startswith("mindset-bot: DB_POOL_SIZE is invalid"), line
    assert "DB_POOL_SIZE=10" in line


# the scheduler needs one connection per sending thread and one for the tick (5), within DB_POOL_SIZE
@pytest.mark.parametrize(("command", "expected"), [("run", 7), ("scheduler", 5)])
def test_run_opens_its_pool_at_db_pool_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, expected: int
) -> None:
    """Stopped at the database (unreachable): the pool it was about to open is the one asked for."""
    for key in list(os.environ):
        if key.upper().startswith("SLACK_") or key.upper() in (*SETTINGS, *NEW_SETTINGS):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "configure_logging", lambda setup: None)
    sizes: list[int] = []

    def recording(url: str, *, pool_size: int = 10, **options: Any) -> object:
        sizes.append(pool_size)
        return db.make_engine(url, pool_size=pool_size, **options)

    monkeypatch.setattr(cli, "make_engine", recording)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nope")
    monkeypatch.setenv("DB_POOL_SIZE", "7")

    assert cli.main([command]) == 3
    assert sizes == [expected]
