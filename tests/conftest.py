"""Shared fixtures: databases (SQLite and PostgreSQL), the fake Slack, and the app served over HTTP."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.deps import Deps
from bot.server import Limits, make_http_server
from bot.settings import Settings
from storage import migrate
from storage.db import make_engine, make_session_factory
from storage.models import Base
from tests import hypothesis_profiles
from tests.fake_slack import FakeSlack
from tests.slack_requests import SlackSender

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
# TOKEN_ENCRYPTION_KEYS of the tests' bots (many workspaces need one): a Fernet key made for the tests
TOKEN_KEY = "e6rucdeEVXf8FwbpNtpf0KWoVJqxIaTki1fAUCGIHBw="
PG_ADMIN_URL = os.environ.get("MINDSET_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = bool(os.environ.get("CI"))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Before hypothesis' plugin: the profile and this run's seed (see tests/hypothesis_profiles.py)."""
    hypothesis_profiles.choose(config, os.environ.get(hypothesis_profiles.PROFILE_VARIABLE))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker draws from the controller's seed."""
    node.workerinput[hypothesis_profiles.SEED_OPTION] = hypothesis_profiles.seed(node.config)


def pytest_report_header(config: pytest.Config) -> str:
    return hypothesis_profiles.header(config)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if exitstatus != 0:
        terminalreporter.write_line(hypothesis_profiles.header(config))


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """Each test leaves the root logger, the hooks and the 'mindset' loggers as it found them: code
    under test may call `configure_logging`, whose handler writes to the stderr pytest captured for
    that test and closes after it."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, sys.excepthook, threading.excepthook)
    yield
    root.handlers[:], _, sys.excepthook, threading.excepthook = saved
    root.setLevel(saved[1])


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # any failure means: no PostgreSQL here
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    problem = _postgres_reachable()
    if problem is not None:
        message = f"PostgreSQL is not reachable at {make_url(PG_ADMIN_URL).render_as_string()} ({problem})"
        if IN_CI:
            pytest.fail(f"{message}; CI is set, so PostgreSQL tests must run", pytrace=False)
        pytest.skip(message)
    return PG_ADMIN_URL


def create_pg_database(admin_url: str, prefix: str = "mindset_test") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """One migrated PostgreSQL database for the session; tables are emptied before each test."""
    url = create_pg_database(postgres_admin_url)
    engine = make_engine(url, pool_size=2)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    drop_pg_database(postgres_admin_url, url)


LEAK_GRACE_SECONDS = 5.0


def _empty_tables(url: str) -> None:
    """Empty every table. A connection an earlier test left in a transaction would make the TRUNCATE
    wait forever (a session never closed keeps its connection until the garbage collector runs): it is
    collected first, and what still holds a transaction after a grace is ended and reported."""
    engine = create_engine(url)
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    leaked = _end_leaked_transactions(engine)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL lock_timeout = '30s'"))  # an error rather than a hang
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    if leaked:
        pytest.fail(
            "an earlier test left a connection in a transaction (a session never closed?); it was ended. "
            f"Its last statement: {leaked[0]}",
            pytrace=False,
        )


def _end_leaked_transactions(engine: Engine) -> list[str]:
    """Other connections to this test database still in a transaction after a grace: their last
    statements, the connections terminated."""
    query = text(
        "SELECT pid, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state IN ('idle in transaction', 'idle in transaction (aborted)')"
    )
    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        while rows and time.monotonic() < deadline:
            gc.collect()
            time.sleep(0.1)
            rows = connection.execute(query).all()
        for pid, _ in rows:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        connection.commit()
    return [" ".join(str(statement).split())[:300] for _, statement in rows]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file, made once per session and copied for each test (a copy is much
    cheaper than running every migration again)."""
    path = tmp_path_factory.mktemp("template") / "mindset.db"
    engine = make_engine(f"sqlite:///{path}", pool_size=1)
    migrate.upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name("mindset.db-wal").exists(), "the template's WAL was not checkpointed"
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "mindset.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_tables(url)
    return url


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Engine]:
    """PostgreSQL alone, emptied (a test of what only PostgreSQL does: several processes, advisory locks)."""
    _empty_tables(postgres_url)
    engine = make_engine(postgres_url, pool_size=6)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=5)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()
    # a call Slack would refuse as malformed is a bug in the bot, even when the bot coped with the refusal
    assert fake.violations == [], f"the bot made calls Slack refuses: {fake.violations}"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_api_url": "http://127.0.0.1:9/api/",
        "database_url": "sqlite:///:memory:",
        "port": 3000,
        "log_level": "INFO",
        "token_encryption_keys": TOKEN_KEY,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def deps(engine: Engine, fake_slack: FakeSlack) -> Deps:
    settings = make_settings(slack_api_url=fake_slack.api_url, database_url=str(engine.url))
    return Deps(settings=settings, session_factory=make_session_factory(engine))


@dataclass
class RunningBot:
    url: str
    deps: Deps
    engine: Engine
    slack: SlackSender
    fake: FakeSlack


# The answer's deadline (bot/server.py Limits.answer_within, 2.2 s) abandons work the database keeps
# waiting. A machine running the suite on every core may keep a request that long by itself: the tests give
# it more time, and tests/test_database_stall.py holds the bot to the real deadline.
TEST_LIMITS = Limits(answer_within=10.0, answer_at_the_latest=11.0)


def serve(deps: Deps, engine: Engine, fake: FakeSlack, *, limits: Limits = TEST_LIMITS) -> Iterator[RunningBot]:
    """The real app behind the real HTTP server `mindset-bot run` uses, on a free port."""
    app = build_app(deps)
    server = make_http_server(
        app, engine, signing_secret=SIGNING_SECRET, host="127.0.0.1", port=0, threads=4, limits=limits
    )
    thread = threading.Thread(target=server.serve, name="bot-http", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.port}"
    try:
        yield RunningBot(url, deps, engine, SlackSender(url, SIGNING_SECRET, fake.response_url("x")[:-2]), fake)
    finally:
        server.stop()
        thread.join(timeout=5)
        assert not thread.is_alive(), "the HTTP server did not stop"


@pytest.fixture
def bot(deps: Deps, engine: Engine, fake_slack: FakeSlack) -> Iterator[RunningBot]:
    yield from serve(deps, engine, fake_slack)
