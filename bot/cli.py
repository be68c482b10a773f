"""`mindset-bot`: the entry point. The only place that reads the environment and opens the engine."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import slack_errors
from bot.app import build_app
from bot.background import Background
from bot.dashboard.web import Dashboard
from bot.deps import Deps, utc_now
from bot.digest.period import Week
from bot.doctor import doctor
from bot.engine.engine import SEND_THREADS, NudgeEngine, Retention
from bot.engine.scheduler import run_blocking, start_in_background
from bot.export import ALL, CSV_NEEDS_ONE_KIND, ENTRIES, KINDS, ExportProblem
from bot.export import export as write_export
from bot.logs import LogSetup, configure_logging
from bot.progress import Progress
from bot.render.digest import digest_text
from bot.server import (
    DESCRIPTORS_BESIDES_CONNECTIONS,
    BackgroundServer,
    HttpServer,
    Limits,
    listen,
    make_http_server,
    raise_descriptor_limit,
    serve_metrics,
)
from bot.services import installs
from bot.services.ambassadors import digest_for_terminal
from bot.settings import HOW_TO_FIX, DatabaseSettings, Settings, SettingsError, load_settings
from bot.slack_client import SlackClients, make_web_client
from bot.worktime import local_date
from storage import migrate
from storage.db import Timeouts, make_engine, make_session_factory
from storage.repositories import erasure
from storage.token_cipher import TokenCipher, TokenKeyProblem

if TYPE_CHECKING:
    from bot.installations import WorkspaceInstallationStore

log = logging.getLogger("mindset.cli")

EXIT_BAD_SETTINGS = 2
EXIT_DATABASE = 3
EXIT_PORT = 4
EXIT_ABORTED = 5
EXIT_SQLITE_IN_USE = 6
EXIT_UNKNOWN_WORKSPACE = 7
EXIT_BROKEN_PIPE = 141  # as a command killed by SIGPIPE: the reader (`| head`) stopped reading

EARLIEST_ZONE = timedelta(hours=14)  # a week starts this much earlier in UTC+14 than in UTC
SOCKET_RETRY_MAX = 60.0
SOCKET_PING_INTERVAL = 5.0


class CliError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mindset-bot", description="Customer Mindset: keep customer focus alive in Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run_parser = sub.add_parser(
        "run",
        help="serve Slack (Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on PORT) and run the nudge engine",
    )
    run_parser.add_argument(
        "--no-scheduler", action="store_true", help="serve Slack only; run `mindset-bot scheduler` elsewhere"
    )
    sub.add_parser("scheduler", help="run the nudge engine only (reminders, check-ins, reviews)")
    sub.add_parser(
        "doctor",
        help="check the settings, the database and its migrations, and the Slack token and its scopes; "
        "print what is wrong and how to fix it",
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply pending migrations")
    db_sub.add_parser(
        "rotate-tokens",
        help="encrypt every stored Slack token with the first key of TOKEN_ENCRYPTION_KEYS (after a new key was "
        "put first), so that the older keys can be removed",
    )

    purge_parser = sub.add_parser("purge", help="delete everything of one workspace, for good")
    purge_parser.add_argument("--team", required=True, metavar="T", help="the workspace's team id, e.g. T012AB3C4")
    purge_parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    digest_parser = sub.add_parser("digest", help="print a workspace's weekly digest as text")
    digest_parser.add_argument("--team", required=True, metavar="T", help="the workspace's team id, e.g. T012AB3C4")
    digest_parser.add_argument(
        "--week", metavar="YYYY-Www", help="the week to show, e.g. 2027-W12 (default: the last complete week)"
    )

    export = sub.add_parser(
        "export",
        help="write entries, action items, meeting answers, reviews with leads or ideal futures to standard output "
        "(every workspace)",
    )
    export.add_argument(
        "--kind",
        choices=KINDS,
        default=ENTRIES,
        help="entries (prouds and sorries, the default), proud, sorry, action (with their history), meeting "
        "(answers), lead (quarterly reviews with one's lead, with both notes), future (ideal futures, their "
        "endorsements and the common future of each customer group), pulse (the quarterly pulse: aggregates only, "
        "per workspace and quarter), or all (JSON only)",
    )
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument(
        "--since",
        type=_date,
        metavar="YYYY-MM-DD",
        help="only records from this day (UTC) on: entries and action items by creation, answers by when given, "
        "reviews with leads by when they came, futures by when proposed, pulses by the quarter's last day",
    )
    export.add_argument("--team", metavar="TEAM_ID", help="only this workspace's records (default: every workspace)")
    return parser


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-01-31") from None


def require_driver(url: str) -> None:
    """A PostgreSQL URL needs psycopg, which only the `postgres` extra installs: say so instead of crashing."""
    if make_url(url).get_backend_name() == "postgresql" and importlib.util.find_spec("psycopg") is None:
        raise CliError(
            "DATABASE_URL is a PostgreSQL URL, but PostgreSQL's driver (psycopg) is not installed: install the "
            "bot with its `postgres` extra, `pip install '.[postgres]'` in the bot's folder (or "
            "`pip install 'customer-mindset-bot[postgres]'`), then run this again.",
            EXIT_BAD_SETTINGS,
        )


def _open_database(
    url: str, *, pool_size: int = 10, token_cipher: TokenCipher | None = None, timeouts: Timeouts | None = None
) -> Engine:
    engine = make_engine(url, pool_size=pool_size, timeouts=timeouts)
    try:
        _migrate(engine, token_cipher)
    except TokenKeyProblem as problem:
        engine.dispose()
        raise CliError(str(problem), EXIT_BAD_SETTINGS) from None
    except SQLAlchemyError as error:
        reason = (str(getattr(error, "orig", None) or error).splitlines() or ["unknown error"])[0]
        raise CliError(
            f"DATABASE_URL: could not open the database ({reason}). Check that it is running and "
            "that the URL, user and password are right.",
            EXIT_DATABASE,
        ) from None
    return engine


def _migrate(engine: Engine, token_cipher: TokenCipher | None) -> None:
    """Apply pending migrations, with their progress on a terminal and one log line when any were applied."""
    todo = migrate.pending(engine)
    if not todo:
        return
    progress = Progress("Migrating the database", len(todo))
    migrate.upgrade(engine, token_cipher=token_cipher, on_applied=lambda revision: progress.step(label=revision))
    progress.done()
    log.info("Migrated the database: applied %s", ", ".join(todo))


def _require_existing_sqlite_file(url: str) -> None:
    """Reading from a SQLite file that is not there would create an empty one and export nothing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    if not Path(parsed.database).exists():
        raise CliError(
            f"DATABASE_URL: there is no database at {parsed.database}. Check the path (relative paths start "
            "from the current folder); the bot creates the file on its first run.",
            EXIT_DATABASE,
        )


@contextlib.contextmanager
def sqlite_single_process(url: str) -> Iterator[None]:
    """On SQLite, hold an exclusive lock on `<database>.lock` while serving or running the engine.

    SQLite lets one writer in at a time, and the engine's claims (which keep a nudge from being
    sent twice) rely on PostgreSQL's row locks to be shared between processes: so on SQLite one
    process only. A second one stops at once, saying so. The OS releases the lock when the process
    ends, however it ends; the file itself stays (it is empty but for the holder's process id).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        yield
        return
    path = Path(f"{parsed.database}.lock")
    try:
        handle: IO[str] = path.open("a+", encoding="utf-8")
    except OSError as error:
        raise CliError(
            f"DATABASE_URL: cannot create the lock file {path} ({error.strerror or error}). Check that the "
            "database's folder exists and is writable.",
            EXIT_DATABASE,
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _lock_holder(path)
            raise CliError(
                f"DATABASE_URL: another mindset-bot{holder} is already running on the SQLite database "
                f"{parsed.database}, and SQLite allows one process only (it lets one writer in at a time, and "
                "the engine relies on one process to never send a nudge twice). Stop the other one, or use "
                "PostgreSQL to run several processes.",
                EXIT_SQLITE_IN_USE,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def _lock_holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


def _check_token(settings: Settings) -> str | None:
    """Refuse to start with a token Slack rejects; start anyway when Slack cannot be reached.
    The workspace the token belongs to, when Slack said."""
    try:
        result = make_web_client(settings).auth_test()
        log.info("Connected to Slack as %s in %s", result.get("user"), result.get("team"))
        return str(result.get("team_id") or "") or None
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code in slack_errors.TOKEN_REJECTED:
            raise CliError(
                f"SLACK_BOT_TOKEN is rejected by Slack ({code}): reinstall the app and copy its "
                "Bot User OAuth Token (xoxb-...) into .env.",
                EXIT_BAD_SETTINGS,
            ) from None
        log.warning("Slack answered auth.test with %s; starting anyway", code)
    except Exception as error:
        log.warning("Could not reach Slack at %s (%s); starting anyway", settings.slack_api_url, error)
    return None


@dataclass(frozen=True)
class Wiring:
    """What serving and the engine share: the dependencies, each workspace's client, OAuth's settings."""

    deps: Deps
    clients: SlackClients
    oauth_settings: OAuthSettings | None = None


def _wire(settings: Settings, engine: Engine, team_id: str | None = None) -> Wiring:
    """`team_id`: the workspace `_check_token` found the token to belong to (one workspace)."""
    session_factory = make_session_factory(engine)
    if not settings.oauth:
        if team_id:  # a working token: the workspace is installed (again, after an uninstall)
            installs.installed(session_factory, team_id=team_id)
        return Wiring(Deps(settings=settings, session_factory=session_factory), SlackClients(settings))
    assert settings.slack_client_id is not None
    from bot.installations import WorkspaceInstallationStore, oauth_settings  # only when serving many workspaces

    def on_installed(team_id: str) -> None:
        installs.installed(session_factory, team_id=team_id)
        clients.forget(team_id)

    cipher = settings.token_cipher
    assert cipher is not None  # the settings require the keys with SLACK_CLIENT_ID
    store = WorkspaceInstallationStore(
        client_id=settings.slack_client_id, engine=engine, on_installed=on_installed, cipher=cipher
    )
    _check_stored_tokens(store)
    clients = SlackClients(settings, find_token=store.bot_token)
    deps = Deps(settings=settings, session_factory=session_factory, installations=store)
    log.info("Serving many workspaces: each installs the app through /slack/install")
    return Wiring(deps, clients, oauth_settings(settings, store, engine))


def _check_stored_tokens(store: WorkspaceInstallationStore) -> None:
    """Refuse to serve with keys that cannot read the workspaces' stored tokens: every request and nudge of
    those workspaces would fail."""
    stored = store.stored_tokens()
    if stored.unreadable:
        teams = ", ".join(stored.unreadable_teams[:10])
        raise CliError(
            f"TOKEN_ENCRYPTION_KEYS cannot decrypt {stored.unreadable} of the {stored.total} stored Slack tokens "
            f"(workspaces {teams}): set it to the key(s) they were encrypted with (comma-separated, the first "
            "encrypts). If that key is lost, those workspaces must install the app again (`mindset-bot purge "
            "--team T` first, to start afresh).",
            EXIT_BAD_SETTINGS,
        )
    if stored.under_older_key:
        log.warning(
            "%s stored Slack tokens are encrypted with an older key of TOKEN_ENCRYPTION_KEYS: run "
            "`mindset-bot db rotate-tokens`, then remove the older key",
            stored.under_older_key,
        )


def _nudge_engine(wiring: Wiring) -> NudgeEngine:
    deps = wiring.deps
    events_kept, deliveries_kept = deps.settings.retention
    return NudgeEngine(
        session_factory=deps.session_factory,
        client_for=wiring.clients.for_team,
        forget_client=wiring.clients.forget,
        clock=deps.clock,
        retention=Retention(processed_events=events_kept, deliveries=deliveries_kept),
        keep_dashboard_figures=deps.settings.dashboard_ready,
    )


def run(settings: Settings, *, with_scheduler: bool = True) -> None:
    with sqlite_single_process(settings.database_url):
        _run(settings, with_scheduler=with_scheduler)


def _run(settings: Settings, *, with_scheduler: bool) -> None:
    # what can refuse to start is checked before the database is touched: the token, then the ports
    team_id = None if settings.oauth else _check_token(settings)
    # HTTP on PORT: Slack's requests (unless Socket Mode brings them) and the web dashboard (when set up)
    sock = _listen(settings) if not settings.socket_mode or settings.dashboard_ready else None
    scheduler = None
    metrics_server = None
    engine: Engine | None = None
    background: Background | None = None
    try:
        metrics_server = _serve_metrics(settings)
        engine = _open_database(
            settings.database_url,
            pool_size=settings.pool_size,
            token_cipher=settings.token_cipher,
            timeouts=settings.db_timeouts(),
        )
        wiring = _wire(settings, engine, team_id)
        app = build_app(wiring.deps, oauth_settings=wiring.oauth_settings)
        background = app.background
        stop = _stop_on_signals()
        dashboard = Dashboard(settings, wiring.deps.session_factory, clock=wiring.deps.clock)
        if settings.socket_mode:
            pages = None
            if sock is not None:
                pages = _bind(app, engine, settings, sock, dashboard)
                sock = None  # the server owns it now
            front: Front = SocketModeFront(app, settings, stop, pages=pages)
        else:
            assert sock is not None
            front = HttpFront(_bind(app, engine, settings, sock, dashboard), stop)
            sock = None  # the server owns it now
        # the scheduler starts only once Slack can reach the bot: a bot that cannot serve sends nothing
        front.open()
        if with_scheduler:
            scheduler = start_in_background(_nudge_engine(wiring))
        front.serve()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if metrics_server is not None:
            metrics_server.stop()
        if sock is not None:
            sock.close()
        if background is not None:
            background.close()  # the posts of entries already answered for go out (or fail) before the end
        if engine is not None:
            engine.dispose()


def run_scheduler(settings: Settings) -> None:
    with sqlite_single_process(settings.database_url):
        _run_scheduler(settings)


def _run_scheduler(settings: Settings) -> None:
    team_id = None if settings.oauth else _check_token(settings)  # a refused token stops it before migrating
    # one connection for the tick and one for each sending thread, kept open; DB_POOL_SIZE caps them
    engine = _open_database(
        settings.database_url, pool_size=min(SEND_THREADS + 1, settings.pool_size), token_cipher=settings.token_cipher
    )
    wiring = _wire(settings, engine, team_id)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    metrics_server = None
    try:
        metrics_server = _serve_metrics(settings)
        run_blocking(_nudge_engine(wiring))
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if metrics_server is not None:
            metrics_server.stop()
        engine.dispose()


def _serve_metrics(settings: Settings) -> BackgroundServer | None:
    """`GET /metrics` on METRICS_PORT (9464 unless set; `off`: none). On PORT only with METRICS_TOKEN."""
    if settings.metrics_port is None:
        log.info("Metrics are off (METRICS_PORT=off)")
        return None
    try:
        server = serve_metrics(settings.metrics_port)
    except OSError as error:
        raise CliError(
            f"METRICS_PORT {settings.metrics_port} cannot be used ({error.strerror or error}): another program "
            "(another mindset-bot on this host?) may be listening on it. Stop it, set METRICS_PORT to a free "
            "port, or METRICS_PORT=off.",
            EXIT_PORT,
        ) from None
    log.info("Serving metrics on http://0.0.0.0:%s/metrics", server.port)
    return server


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM and SIGINT: the fronts stop serving and `run` cleans up."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("Stopping on signal %s", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def _limits(settings: Settings) -> Limits:
    return Limits(idle_timeout=settings.http_idle_timeout, max_connections=settings.http_max_connections)


def _listen(settings: Settings) -> socket.socket:
    """Take PORT (before the database is migrated: a port in use is said at once)."""
    try:
        return listen("0.0.0.0", settings.port, _limits(settings))
    except OSError as error:
        raise CliError(
            f"PORT {settings.port} cannot be used ({error.strerror or error}): another program may be "
            "listening on it. Stop it, or set PORT to a free port.",
            EXIT_PORT,
        ) from None


def _bind(app: App, engine: Engine, settings: Settings, sock: socket.socket, dashboard: Dashboard) -> HttpServer:
    limits = _limits(settings)
    raise_descriptor_limit(limits.max_connections + DESCRIPTORS_BESIDES_CONNECTIONS)
    return make_http_server(
        app,
        engine,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        host="0.0.0.0",
        port=settings.port,
        threads=settings.http_threads,
        metrics_token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
        limits=limits,
        sock=sock,
        dashboard=dashboard,
    )


class Front(Protocol):
    def open(self) -> None: ...
    def serve(self) -> None: ...


class HttpFront:
    """Slack's endpoint and the health check over HTTP, until a signal says stop."""

    def __init__(self, server: HttpServer, stop: threading.Event) -> None:
        self._server = server
        self._stop = stop

    def open(self) -> None:
        log.info(
            "Serving Slack on http://0.0.0.0:%s/slack/events (health: /healthz, dashboard: /dashboard)",
            self._server.port,
        )

    def serve(self) -> None:
        """The server runs in a thread of its own, so the signals stay with `_stop_on_signals`."""
        failed: list[BaseException] = []

        def serve() -> None:
            try:
                self._server.serve()
            except BaseException as error:
                failed.append(error)

        serving = threading.Thread(target=serve, name="http")
        serving.start()
        try:
            while serving.is_alive() and not self._stop.wait(0.5):
                pass
        finally:
            self._server.stop()
            serving.join()
        if failed:
            raise failed[0]


class SocketModeFront:
    """Socket Mode: connect (retrying while Slack cannot be reached), then serve until a signal."""

    def __init__(self, app: App, settings: Settings, stop: threading.Event, *, pages: HttpServer | None = None) -> None:
        """`pages`: the HTTP server of the web dashboard and /healthz on PORT (when the dashboard is set up)."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert settings.slack_app_token is not None
        # slack_sdk notices a dead connection after four unanswered pings: ping every 5 s, not 10
        self._handler = SocketModeHandler(
            app, settings.slack_app_token.get_secret_value(), ping_interval=SOCKET_PING_INTERVAL
        )
        self._settings = settings
        self._stop = stop
        self._pages = pages
        self._pages_thread: threading.Thread | None = None

    def open(self) -> None:
        if self._pages is not None and self._pages_thread is None:
            self._pages_thread = threading.Thread(target=self._pages.serve, name="http", daemon=True)
            self._pages_thread.start()
            log.info("Serving the dashboard on http://0.0.0.0:%s/dashboard (health: /healthz)", self._pages.port)
        wait = 1.0
        while not self._stop.is_set():
            try:
                if not self._connect_unless_stopped():
                    return  # a signal came while Slack was still being asked: stop without waiting for it
                # slack_sdk logs and swallows a WebSocket that fails to open: ask whether it is up
                if self._handler.client.is_connected():
                    log.info("Serving Slack over Socket Mode")
                    return
                log.warning("Slack's Socket Mode connection did not open; trying again in %.0f s", wait)
            except SlackApiError as error:
                code = error.response.get("error") if error.response is not None else None
                if code in slack_errors.TOKEN_REJECTED:
                    raise CliError(
                        f"SLACK_APP_TOKEN is rejected by Slack ({code}): generate an app-level token with the "
                        "connections:write scope (Basic Information > App-Level Tokens) and put it in .env.",
                        EXIT_BAD_SETTINGS,
                    ) from None
                log.warning("Slack refused the Socket Mode connection (%s); trying again in %.0f s", code, wait)
            except Exception as error:
                log.warning("Could not reach Slack for Socket Mode (%s); trying again in %.0f s", error, wait)
            self._stop.wait(wait)
            wait = min(wait * 2, SOCKET_RETRY_MAX)

    def _connect_unless_stopped(self) -> bool:
        """One connection attempt (slack_sdk's, with its own retries of Slack's 5xx answers and timeouts, which can
        take tens of seconds) in a thread of its own, so that SIGTERM does not wait for it: False when stopped
        first (the attempt is left to end with the process); its error is raised here."""
        done = threading.Event()
        failed: list[BaseException] = []

        def attempt() -> None:
            try:
                self._handler.connect()
            except BaseException as error:  # handed to the caller, which says what it was
                failed.append(error)
            finally:
                done.set()

        threading.Thread(target=attempt, name="socket-mode-connect", daemon=True).start()
        while not done.wait(0.1):
            if self._stop.is_set():
                return False
        if failed:
            raise failed[0]
        return True

    def serve(self) -> None:
        try:
            self._stop.wait()
        finally:
            try:
                self._handler.close()
            except Exception:
                log.debug("Closing the Socket Mode connection failed", exc_info=True)
            if self._pages is not None and self._pages_thread is not None:
                self._pages.stop()
                self._pages_thread.join(timeout=10)


def db_upgrade(settings: DatabaseSettings) -> None:
    engine = _open_database(settings.database_url, pool_size=1, token_cipher=settings.token_cipher)
    engine.dispose()
    print("Database is up to date.")


def db_rotate_tokens(settings: DatabaseSettings) -> None:
    """Re-encrypt the stored tokens with the first key of TOKEN_ENCRYPTION_KEYS (every key still decrypts)."""
    from bot.installations import WorkspaceInstallationStore  # the OAuth stores, only when they are used

    cipher = settings.token_cipher
    if cipher is None:
        raise CliError(f"TOKEN_ENCRYPTION_KEYS is not set. {HOW_TO_FIX['TOKEN_ENCRYPTION_KEYS']}.", EXIT_BAD_SETTINGS)
    _require_existing_sqlite_file(settings.database_url)
    engine = _open_database(settings.database_url, pool_size=1, token_cipher=cipher)
    try:
        store = WorkspaceInstallationStore(client_id="", engine=engine, on_installed=lambda _team: None, cipher=cipher)
        stored = store.stored_tokens()
        if stored.unreadable:
            raise CliError(
                f"TOKEN_ENCRYPTION_KEYS cannot decrypt {stored.unreadable} of the {stored.total} stored Slack tokens "
                f"(workspaces {', '.join(stored.unreadable_teams[:10])}): add the key they were encrypted with "
                "after the new one. Nothing was changed.",
                EXIT_BAD_SETTINGS,
            )
        changed = store.rotate_tokens()
    finally:
        engine.dispose()
    print(
        f"Re-encrypted {changed} of the {stored.total} stored Slack tokens with the first key of "
        "TOKEN_ENCRYPTION_KEYS. Every process now needs only that key: remove the others and restart them."
    )


def _check_export(kind: str, fmt: str) -> None:
    """Refuse what cannot be written before reading settings or opening any database."""
    if kind == ALL and fmt == "csv":
        raise CliError(CSV_NEEDS_ONE_KIND, EXIT_BAD_SETTINGS)


def _require_team(engine: Engine, team: str) -> None:
    """`--team T` names a workspace the database knows, or the command says so (and exits non-zero)."""
    with make_session_factory(engine)() as session:
        if erasure.team_exists(session, team_id=team):
            return
        known = erasure.known_teams(session)
    hint = f" It knows {', '.join(known)}." if known else " It holds no workspace yet."
    raise CliError(
        f"--team {team}: the database at DATABASE_URL knows no workspace with that id.{hint} (A team id starts "
        "with T; Slack shows it in the workspace's URL, and `mindset-bot doctor` prints it.)",
        EXIT_UNKNOWN_WORKSPACE,
    )


def _export_progress(section: str, total: int) -> Progress:
    return Progress(f"Exporting {section.replace('_', ' ')}", total)


def export(settings: DatabaseSettings, *, kind: str, fmt: str, since: date | None, team: str | None = None) -> None:
    _check_export(kind, fmt)
    _require_existing_sqlite_file(settings.database_url)
    engine = _open_database(settings.database_url, pool_size=1, token_cipher=settings.token_cipher)
    try:
        if team is not None:
            _require_team(engine, team)
        try:
            counts = write_export(
                sys.stdout,
                make_session_factory(engine),
                kind=kind,
                fmt=fmt,
                since=since,
                team=team,
                progress=_export_progress if Progress("").shown else None,
            )
        except ExportProblem as problem:
            raise CliError(str(problem), EXIT_BAD_SETTINGS) from None
        sys.stdout.flush()
        log.info("Exported %s", ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items()))
    finally:
        engine.dispose()


def digest(settings: DatabaseSettings, *, team: str, week: str | None) -> None:
    if week is not None:  # a week not written like one, or not begun in any zone, is said before anything opens
        try:
            parsed = Week.parse(week, ZoneInfo("UTC"))
        except ValueError as error:
            raise CliError(f"--week: {error}", EXIT_BAD_SETTINGS) from None
        if parsed.start - EARLIEST_ZONE > utc_now():
            raise CliError(f"--week: {week} has not started yet; give this week or an earlier one", EXIT_BAD_SETTINGS)
    _require_existing_sqlite_file(settings.database_url)
    engine = _open_database(settings.database_url, pool_size=1, token_cipher=settings.token_cipher)
    try:
        _require_team(engine, team)
        try:
            found = digest_for_terminal(make_session_factory(engine), team_id=team, week_label=week, now=utc_now())
        except ValueError as error:
            raise CliError(f"--week: {error}", EXIT_BAD_SETTINGS) from None
        print(digest_text(found, today=local_date(utc_now(), found.week.tz)))
    finally:
        engine.dispose()


def purge(settings: DatabaseSettings, *, team: str, yes: bool) -> None:
    """Delete a workspace's data, after showing what goes and asking for its team id (unless --yes)."""
    _require_existing_sqlite_file(settings.database_url)
    engine = _open_database(settings.database_url, pool_size=1, token_cipher=settings.token_cipher)
    try:
        session_factory = make_session_factory(engine)
        with session_factory() as session:
            counts = erasure.team_row_counts(session, team_id=team)
        total = sum(counts.values())
        if total == 0:
            print(f"There is nothing of workspace {team} in the database.")
            return
        listed = ", ".join(f"{count} {table}" for table, count in counts.items() if count)
        print(f"This deletes, for good, everything of workspace {team}: {listed}.")
        if not yes:
            answer = input(f"Type {team} to confirm: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
            if answer.strip() != team:
                raise CliError("Nothing was deleted.", EXIT_ABORTED)
        progress = Progress(f"Deleting workspace {team}", len(counts))
        with session_factory() as session:
            erasure.purge_team(session, team_id=team, on_table=lambda table: progress.step(label=f"({table})"))
            session.commit()
        progress.done()
        print(f"Deleted {total} rows of workspace {team}.")
    finally:
        engine.dispose()


def _doctor() -> int:
    try:
        database = load_settings(DatabaseSettings)
    except SettingsError:
        pass  # doctor reports each bad setting itself
    else:
        require_driver(database.database_url)
    configure_logging(LogSetup(level=logging.WARNING))
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)  # doctor says it in its own words
    return doctor()


def _quiet_stdout() -> None:
    """The reader of standard output went away (`mindset-bot export | head`): what is still buffered, and
    whatever else would be written, goes nowhere, so that Python's last flush raises nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _main(args)
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE


def _main(args: argparse.Namespace) -> int:
    try:
        if args.command == "export":
            _check_export(args.kind, args.format)
        if args.command == "doctor":
            return _doctor()
        if args.command in ("run", "scheduler"):
            settings = load_settings(Settings)
            configure_logging(settings.log_setup())
            require_driver(settings.database_url)
            if args.command == "run":
                run(settings, with_scheduler=not args.no_scheduler)
            else:
                run_scheduler(settings)
        else:
            db_settings = load_settings(DatabaseSettings)
            configure_logging(db_settings.log_setup())
            require_driver(db_settings.database_url)
            if args.command == "db" and args.db_command == "rotate-tokens":
                db_rotate_tokens(db_settings)
            elif args.command == "db":
                db_upgrade(db_settings)
            elif args.command == "purge":
                purge(db_settings, team=args.team, yes=args.yes)
            elif args.command == "digest":
                digest(db_settings, team=args.team, week=args.week)
            else:
                export(db_settings, kind=args.kind, fmt=args.format, since=args.since, team=args.team)
    except SettingsError as error:
        for line in error.lines:
            print(f"mindset-bot: {line}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    except CliError as error:
        print(f"mindset-bot: {error}", file=sys.stderr)
        return error.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
