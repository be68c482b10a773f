"""`mindset-bot doctor`: one line per check, what is wrong and how to fix it; exit 0 only when all is well.

Slack is the fake, scripted with auth.test's answers and its `x-oauth-scopes` header; the databases
are real (SQLite and PostgreSQL). Doctor changes nothing: it neither migrates nor creates a database.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, text

from bot import cli
from bot.scopes import BOT_SCOPES
from storage import migrate
from storage.db import make_engine
from storage.models import slack_bots
from storage.token_cipher import TokenCipher
from tests.conftest import TOKEN_KEY
from tests.fake_slack import FakeSlack, Reply
from tests.test_cli import SECRET, SETTINGS, TOKEN, mindset_bot, no_traceback, plain_pg_url

NEW_SETTINGS = ("LOG_FORMAT", "DB_POOL_SIZE", "METRICS_PORT")
AUTH_TEST = {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "mindset", "team_id": "T111"}
CLIENT_ID = "1234567890.1234567890"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack) -> pytest.MonkeyPatch:
    """No settings from the caller; a working directory of its own; Slack is the fake."""
    for key in list(os.environ):
        if key.upper().startswith("SLACK_") or key.upper() in (*SETTINGS, *NEW_SETTINGS):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "configure_logging", lambda setup: None)
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    return monkeypatch


def one_workspace(env: pytest.MonkeyPatch, database_url: str) -> None:
    env.setenv("SLACK_BOT_TOKEN", TOKEN)
    env.setenv("SLACK_SIGNING_SECRET", SECRET)
    env.setenv("DATABASE_URL", plain_pg_url(database_url))


def scopes(fake: FakeSlack, granted: str) -> None:
    fake.script("auth.test", Reply(body=AUTH_TEST, headers={"x-oauth-scopes": granted}))


def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = cli.main(["doctor"])
    return code, [line for line in capsys.readouterr().out.splitlines() if line]


def line_of(lines: list[str], name: str) -> str:
    [found] = [line for line in lines if line.split(maxsplit=1)[1].startswith(f"{name}:")]
    return found


def test_all_well_is_one_ok_line_per_check_and_exit_0(
    env: pytest.MonkeyPatch, database_url: str, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    one_workspace(env, database_url)
    scopes(fake_slack, ",".join(BOT_SCOPES) + ",im:history")  # more than asked for is fine

    code, lines = doctor(capsys)

    assert code == 0, lines
    assert [line.split(":")[0].split(maxsplit=1) for line in lines[:-1]] == [
        ["OK", "settings"],
        ["OK", "database"],
        ["OK", "migrations"],
        ["OK", "Slack token"],
        ["OK", "Slack scopes"],
    ]
    assert "one workspace, HTTP on port 3000" in lines[0]
    assert "dashboard" not in lines[0]  # no SLACK_CLIENT_ID: no dashboard
    assert "bot mindset in Fake (T111)" in line_of(lines, "Slack token")
    assert lines[-1] == "Everything looks right."
    [checked] = fake_slack.calls_to("auth.test")
    assert checked.token == TOKEN
    assert TOKEN not in "\n".join(lines) and SECRET not in "\n".join(lines)


def test_missing_scopes_are_named_with_how_to_get_them(
    env: pytest.MonkeyPatch, database_url: str, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    one_workspace(env, database_url)
    scopes(fake_slack, ",".join(scope for scope in BOT_SCOPES if scope not in ("files:write", "users:read")))

    code, lines = doctor(capsys)

    assert code == 1
    line = line_of(lines, "Slack scopes")
    assert line.startswith("PROBLEM  Slack scopes: the token lacks users:read, files:write. Fix: "), line
    assert "reinstall the app" in line
    assert line_of(lines, "Slack token").startswith("OK")
    assert lines[-1].startswith("Fix the problems above")


def test_a_rejected_token_says_how_to_get_a_new_one(
    env: pytest.MonkeyPatch, database_url: str, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    one_workspace(env, database_url)
    fake_slack.fail("auth.test", "invalid_auth")

    code, lines = doctor(capsys)

    assert code == 1
    line = line_of(lines, "Slack token")
    assert line.startswith("PROBLEM  Slack token: Slack rejects SLACK_BOT_TOKEN (invalid_auth). Fix: reinstall"), line
    assert not any("Slack scopes" in line for line in lines)


def test_slack_out_of_reach_is_a_problem_not_a_crash(
    env: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    one_workspace(env, database_url)
    env.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")

    code, lines = doctor(capsys)

    assert code == 1
    assert line_of(lines, "Slack token").startswith(
        "PROBLEM  Slack token: cannot reach Slack at http://127.0.0.1:9/api/"
    )


def test_bad_settings_are_reported_and_the_database_is_still_checked(
    env: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("DATABASE_URL", plain_pg_url(database_url))
    env.setenv("SLACK_BOT_TOKEN", "xoxp-a-user-token")  # and no signing secret

    code, lines = doctor(capsys)

    assert code == 1
    problems = [line for line in lines if line.startswith("PROBLEM  settings: ")]
    assert [line.split()[2] for line in problems] == ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    assert "xoxb-" in problems[0]  # says what to put there
    assert line_of(lines, "database").startswith("OK")
    assert line_of(lines, "migrations").startswith("OK")
    assert line_of(lines, "Slack").startswith("SKIPPED")


def test_pending_migrations_are_reported_not_applied(
    env: pytest.MonkeyPatch, tmp_path: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url, pool_size=1)
    migrate.upgrade(engine, "0003")
    one_workspace(env, url)
    scopes(fake_slack, ",".join(BOT_SCOPES))

    code, lines = doctor(capsys)

    assert code == 1
    line = line_of(lines, "migrations")
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    after_0003 = len(list(script.iterate_revisions("head", "0003")))  # 0004 up to the latest
    assert line.startswith(f"PROBLEM  migrations: {after_0003} migrations not applied yet (at 0003"), line
    assert "Fix: run `mindset-bot db upgrade`" in line
    assert _revision(engine) == "0003"  # untouched
    engine.dispose()


def _revision(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def test_an_empty_database_has_no_schema_yet(
    env: pytest.MonkeyPatch, tmp_path: Path, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.db").touch()
    one_workspace(env, f"sqlite:///{tmp_path / 'empty.db'}")
    scopes(fake_slack, ",".join(BOT_SCOPES))

    code, lines = doctor(capsys)

    assert code == 1
    assert line_of(lines, "migrations").startswith("PROBLEM  migrations: the database has no schema yet")


def test_a_sqlite_file_that_is_not_there_is_not_created(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one_workspace(env, "sqlite:///mindest.db")  # a typo

    code, lines = doctor(capsys)

    assert code == 1
    assert line_of(lines, "database").startswith("PROBLEM  database: there is no database at mindest.db")
    assert not (tmp_path / "mindest.db").exists()


def test_an_unreachable_database_from_the_console_script(tmp_path: Path, fake_slack: FakeSlack) -> None:
    result = mindset_bot(
        "doctor",
        cwd=tmp_path,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL="postgresql://postgres:hunter2@127.0.0.1:1/nope",
    )

    assert result.returncode == 1, result.stdout + result.stderr
    no_traceback(result)
    database = [line for line in result.stdout.splitlines() if " database: " in line]
    assert len(database) == 1 and database[0].startswith("PROBLEM  database: cannot open postgresql"), result.stdout
    assert "hunter2" not in result.stdout + result.stderr
    assert "check that the database is running" in database[0]


def test_many_workspaces_counts_the_installs_and_their_scopes(
    env: pytest.MonkeyPatch, database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    env.setenv("SLACK_CLIENT_SECRET", "client-secret-for-doctor")
    env.setenv("TOKEN_ENCRYPTION_KEYS", TOKEN_KEY)
    env.setenv("SLACK_SIGNING_SECRET", SECRET)
    env.setenv("DATABASE_URL", plain_pg_url(database_url))

    code, lines = doctor(capsys)
    assert code == 1
    assert line_of(lines, "workspaces").startswith("PROBLEM  workspaces: no workspace has installed the app yet")

    _install(engine, "T1", ",".join(BOT_SCOPES))
    _install(engine, "T2", "commands,chat:write")  # installed before the app asked for more
    _install(engine, "T2", ",".join(BOT_SCOPES))  # and installed again since: its latest install counts
    _install(engine, "T3", "commands,chat:write")

    code, lines = doctor(capsys)
    assert code == 1
    line = line_of(lines, "workspaces")
    assert line.startswith("PROBLEM  workspaces: 3 workspaces installed the app; 1 of them (T3) lack scopes"), line

    _install(engine, "T3", ",".join(BOT_SCOPES))
    code, lines = doctor(capsys)
    assert code == 0, lines
    assert line_of(lines, "workspaces") == "OK       workspaces: 3 workspaces installed the app"


def _install(engine: Engine, team: str, granted: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(slack_bots).values(
                client_id=CLIENT_ID,
                app_id="A111",
                team_id=team,
                bot_token=TokenCipher.parse(TOKEN_KEY).seal(f"xoxb-{team}"),
                bot_scopes=granted,
            )
        )


def test_the_settings_line_says_where_the_dashboard_is_when_it_is_set_up(
    env: pytest.MonkeyPatch, database_url: str, fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str]
) -> None:
    one_workspace(env, database_url)
    env.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    env.setenv("SLACK_CLIENT_SECRET", "dashboard-client-secret")
    scopes(fake_slack, ",".join(BOT_SCOPES))

    code, lines = doctor(capsys)

    assert code == 0, lines
    assert "one workspace, HTTP on port 3000 with 16 threads, the web dashboard at /dashboard on port 3000" in lines[0]
