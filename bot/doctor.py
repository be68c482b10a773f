"""`mindset-bot doctor`: what is wrong with this installation, and how to fix it, one line per check.

It changes nothing: it reads the settings, asks the database where its schema stands (without
migrating it, and without creating a SQLite file that is not there), and asks Slack about the
token (`auth.test`, whose `x-oauth-scopes` header lists the scopes the token was granted).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from bot import slack_errors
from bot.scopes import BOT_SCOPES
from bot.settings import DatabaseSettings, Settings, SettingsError, load_settings
from bot.slack_client import make_web_client
from storage import migrate
from storage.db import make_engine
from storage.models import slack_bots

SCOPES_HEADER = "x-oauth-scopes"
DEFAULT_DATABASE_URL = DatabaseSettings.model_fields["database_url"].default
REINSTALL = (
    "add them to app.manifest.yml's bot scopes (as shipped) at https://api.slack.com/apps > your app > "
    "App Manifest, then reinstall the app to the workspace (Install App > Reinstall) so the token gets them"
)


OK, PROBLEM, SKIPPED = "OK", "PROBLEM", "SKIPPED"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    found: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status != PROBLEM

    def line(self) -> str:
        fix = f". Fix: {self.fix}" if self.fix else ""
        return f"{self.status:<8} {self.name}: {self.found}{fix}"


def ok(name: str, found: str) -> Check:
    return Check(name, OK, found)


def problem(name: str, found: str, fix: str = "") -> Check:
    return Check(name, PROBLEM, found, fix)


def run_checks() -> Iterator[Check]:
    """Every check, in the order a person would fix things: settings, database, Slack."""
    settings: Settings | None = None
    try:
        settings = load_settings(Settings)
        yield ok("settings", _describe(settings))
        database: DatabaseSettings = settings
    except SettingsError as error:
        for line in error.lines:
            yield problem("settings", line)  # each line names the setting and how to fix it
        try:
            database = load_settings(DatabaseSettings)
        except SettingsError:
            yield Check("database", SKIPPED, "not checked until DATABASE_URL is right")
            return
    engine = yield from _database(database.database_url)
    if settings is None:
        yield Check("Slack", SKIPPED, "not checked until the Slack settings are right")
    elif engine is not None or not settings.oauth:
        yield from _slack(settings, engine)
    if engine is not None:
        engine.dispose()


def _slack(settings: Settings, engine: Engine | None) -> Iterator[Check]:
    if settings.oauth:
        assert engine is not None
        yield _installed_workspaces(settings, engine)
        yield _stored_tokens(settings, engine)
    else:
        assert settings.slack_bot_token is not None
        yield from _bot_token(settings, make_web_client(settings))
    if settings.slack_app_token is not None:
        yield _app_token(settings, make_web_client(settings, token=settings.slack_app_token.get_secret_value()))


def _describe(settings: Settings) -> str:
    slack = "many workspaces (OAuth)" if settings.oauth else "one workspace"
    threads = f"{settings.http_threads} thread{'s' if settings.http_threads != 1 else ''}"
    front = "Socket Mode" if settings.socket_mode else f"HTTP on port {settings.port} with {threads}"
    if settings.dashboard_ready:
        front += f", the web dashboard at /dashboard on port {settings.port}"
    if settings.metrics_port is not None:
        front += f", metrics on port {settings.metrics_port}"
    database = make_url(settings.database_url).render_as_string(hide_password=True)
    return f"{slack}, {front}, database {database} (pool of {settings.pool_size})"


# -- the database --------------------------------------------------------------------------------


def _database(url: str) -> Generator[Check, None, Engine | None]:
    """The database answers, and its schema is the one this version of the bot expects."""
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    local_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    if local_file and not Path(str(parsed.database)).exists() and url == DEFAULT_DATABASE_URL:
        yield _first_run(Path(str(parsed.database)))
        return None
    if local_file and not Path(str(parsed.database)).exists():
        yield problem(
            "database",
            f"there is no database at {parsed.database}",
            "check DATABASE_URL (relative paths start from the current folder), or create it with "
            "`mindset-bot db upgrade`",
        )
        return None
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:
        engine.dispose()
        reason = (str(getattr(error, "orig", None) or error).splitlines() or ["unknown error"])[0]
        yield problem(
            "database",
            f"cannot open {shown} ({reason})",
            "check that the database is running and that DATABASE_URL's host, port, user and password are right",
        )
        return None
    yield ok("database", f"{shown} answers")
    yield _migrations(engine, current)
    return engine


def _first_run(path: Path) -> Check:
    """A fresh install: no DATABASE_URL, and no mindset.db yet. `run` creates it; only a folder it cannot
    write to is a problem."""
    folder = path.parent.resolve()
    if not os.access(folder, os.W_OK | os.X_OK):
        return problem(
            "database",
            f"there is no database at {path} yet, and the bot cannot create it: {folder} is not writable",
            "run the bot from a folder it may write to, or set DATABASE_URL",
        )
    return ok(
        "database",
        f"no database at {path} yet: `mindset-bot run` creates it (with every migration) when it first starts",
    )


def _migrations(engine: Engine, current: set[str]) -> Check:
    script = ScriptDirectory.from_config(migrate.alembic_config(engine))
    heads = set(script.get_heads())
    if current == heads:
        return ok("migrations", f"at the latest ({', '.join(sorted(heads))})")
    if not current:
        return problem("migrations", "the database has no schema yet", "run `mindset-bot db upgrade`")
    known = {revision.revision for revision in script.walk_revisions()}
    if not current <= known:
        return problem(
            "migrations",
            f"the database is at {', '.join(sorted(current))}, which this version of the bot does not know "
            "(a newer version migrated it)",
            "run the newer version of the bot, or restore a backup taken before it ran",
        )
    pending = _pending(script, current, heads)
    return problem(
        "migrations",
        f"{pending} migration{'s' if pending != 1 else ''} not applied yet (at {', '.join(sorted(current))})",
        "run `mindset-bot db upgrade` (`mindset-bot run` applies them too when it starts)",
    )


def _pending(script: ScriptDirectory, current: set[str], heads: set[str]) -> int:
    steps = 0
    for head in heads:
        for revision in script.iterate_revisions(head, tuple(current) or "base"):
            if revision.revision not in current:
                steps += 1
    return steps


# -- Slack ---------------------------------------------------------------------------------------


def _bot_token(settings: Settings, client: WebClient) -> Iterator[Check]:
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        if code in slack_errors.TOKEN_REJECTED:
            yield problem(
                "Slack token",
                f"Slack rejects SLACK_BOT_TOKEN ({code})",
                "reinstall the app (Install App at https://api.slack.com/apps) and copy its Bot User OAuth "
                "Token (xoxb-...) into .env",
            )
        else:
            yield problem("Slack token", f"Slack answered auth.test with {code}", "try again in a minute")
        return
    except Exception as error:
        yield problem(
            "Slack token",
            f"cannot reach Slack at {settings.slack_api_url} ({error})",
            "check the network, any proxy (HTTPS_PROXY), and SLACK_API_URL (leave it unset for Slack itself)",
        )
        return
    yield ok("Slack token", f"works: bot {answer.get('user')} in {answer.get('team')} ({answer.get('team_id')})")
    yield _scopes(_header(answer.headers, SCOPES_HEADER))


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return None


def _scopes(granted_header: str | None) -> Check:
    if granted_header is None:
        return problem(
            "Slack scopes",
            f"Slack did not say which scopes the token has (no {SCOPES_HEADER} header)",
            "check that SLACK_API_URL points at Slack's Web API, or leave it unset",
        )
    granted = {scope.strip() for scope in granted_header.split(",") if scope.strip()}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    if missing:
        return problem("Slack scopes", f"the token lacks {', '.join(missing)}", REINSTALL)
    return ok("Slack scopes", f"the token has every scope the manifest asks for ({len(BOT_SCOPES)})")


def _installed_workspaces(settings: Settings, engine: Engine) -> Check:
    """Many workspaces: how many installed the app, and whether their tokens have today's scopes."""
    latest = (
        select(slack_bots.c.team_id, func.max(slack_bots.c.id).label("id"))
        .where(slack_bots.c.client_id == settings.slack_client_id)
        .group_by(slack_bots.c.team_id)
        .subquery()
    )
    with engine.connect() as connection:
        rows = connection.execute(
            select(slack_bots.c.team_id, slack_bots.c.bot_scopes).join(latest, slack_bots.c.id == latest.c.id)
        ).all()
    if not rows:
        return problem(
            "workspaces",
            "no workspace has installed the app yet",
            "open https://<this bot's host>/slack/install and choose Add to Slack",
        )
    short = [
        str(team)
        for team, scopes in rows
        if not set(BOT_SCOPES) <= {scope.strip() for scope in str(scopes or "").split(",")}
    ]
    count = f"{len(rows)} workspace{'s' if len(rows) != 1 else ''} installed the app"
    if short:
        return problem(
            "workspaces",
            f"{count}; {len(short)} of them ({', '.join(sorted(short)[:10])}) lack scopes the manifest asks for",
            "ask each of them to install the app again from /slack/install",
        )
    return ok("workspaces", count)


def _stored_tokens(settings: Settings, engine: Engine) -> Check:
    """Many workspaces: TOKEN_ENCRYPTION_KEYS opens every stored token (the settings already require it)."""
    from bot.installations import WorkspaceInstallationStore  # the OAuth stores, only when they are used

    cipher = settings.token_cipher
    assert cipher is not None and settings.slack_client_id is not None
    store = WorkspaceInstallationStore(
        client_id=settings.slack_client_id, engine=engine, on_installed=lambda _team: None, cipher=cipher
    )
    stored = store.stored_tokens()
    if stored.unreadable:
        return problem(
            "token encryption",
            f"TOKEN_ENCRYPTION_KEYS cannot decrypt {stored.unreadable} of the {stored.total} stored Slack tokens "
            f"(workspaces {', '.join(stored.unreadable_teams[:10])}): a wrong or missing key",
            "set TOKEN_ENCRYPTION_KEYS to the key(s) they were encrypted with (comma-separated, the first "
            "encrypts); if that key is lost, those workspaces must install the app again",
        )
    if stored.in_the_clear:
        return problem(
            "token encryption",
            f"{stored.in_the_clear} stored Slack tokens are not encrypted yet",
            "run `mindset-bot db upgrade` (or start the bot) with TOKEN_ENCRYPTION_KEYS set",
        )
    keys = f"{cipher.key_count} key{'s' if cipher.key_count != 1 else ''}"
    found = f"the {stored.total} stored Slack tokens are encrypted and TOKEN_ENCRYPTION_KEYS ({keys}) opens them"
    if stored.under_older_key:
        found += (
            f"; {stored.under_older_key} are under an older key: run `mindset-bot db rotate-tokens`, "
            "then remove the older keys"
        )
    return ok("token encryption", found)


def _app_token(settings: Settings, client: WebClient) -> Check:
    try:
        client.apps_connections_open(app_token=str(client.token))
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        return problem(
            "Socket Mode token",
            f"Slack rejects SLACK_APP_TOKEN ({code})",
            "generate an app-level token with the connections:write scope (Basic Information > App-Level "
            "Tokens) and put it in .env as SLACK_APP_TOKEN",
        )
    except Exception as error:
        return problem(
            "Socket Mode token", f"cannot reach Slack at {settings.slack_api_url} ({error})", "check the network"
        )
    return ok("Socket Mode token", "Slack accepts it")


def doctor(print_line: Callable[[str], None] = print) -> int:
    """Print one line per check; 0 when every one is OK, 1 otherwise."""
    healthy = True
    for check in run_checks():
        print_line(check.line())
        healthy = healthy and check.ok
    print_line("Everything looks right." if healthy else "Fix the problems above, then run `mindset-bot doctor` again.")
    return 0 if healthy else 1
