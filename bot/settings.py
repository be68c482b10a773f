"""The one typed view of the bot's configuration.

Only the entry point builds a `Settings` (from the environment and an optional `.env` file);
everything else receives it. No other module reads `os.environ`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from datetime import timedelta
from typing import Any, TypeVar

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from bot.logs import LogSetup
from storage.db import Timeouts
from storage.token_cipher import KEY_COMMAND, TokenCipher

SLACK_API_DEFAULT = "https://slack.com/api/"
# A secret shorter than this is not masked word for word in logs: it would mask ordinary words.
MIN_MASKED_SECRET = 8

# What to tell a person about each setting when it is missing or malformed.
HOW_TO_FIX: dict[str, str] = {
    "SLACK_BOT_TOKEN": (
        "create the app from app.manifest.yml at https://api.slack.com/apps, install it to your "
        "workspace and put its Bot User OAuth Token (xoxb-...) in .env as SLACK_BOT_TOKEN=xoxb-... "
        "(or, to install in many workspaces, set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead)"
    ),
    "SLACK_CLIENT_ID": "copy the Client ID from your app's Basic Information page, or leave it unset",
    "SLACK_CLIENT_SECRET": "copy the Client Secret from your app's Basic Information page into .env",
    "SLACK_SIGNING_SECRET": (
        "copy the Signing Secret from your app's Basic Information page into .env as SLACK_SIGNING_SECRET=..."
    ),
    "SLACK_APP_TOKEN": (
        "leave it unset to serve over HTTP, or generate an app-level token with the "
        "connections:write scope (Basic Information > App-Level Tokens) and set SLACK_APP_TOKEN=xapp-..."
    ),
    "SLACK_API_URL": "set it to an http(s) URL such as https://slack.com/api/, or leave it unset",
    "DATABASE_URL": ("use sqlite:///mindset.db (the default) or postgresql://user:password@host:5432/dbname"),
    "PORT": "use a whole number from 1 to 65535, e.g. PORT=3000",
    "LOG_LEVEL": "use one of DEBUG, INFO, WARNING, ERROR",
    "HTTP_THREADS": "use a whole number from 1 to 256, e.g. HTTP_THREADS=16",
    "LOG_FORMAT": "use text (lines for people, the default) or json (one JSON object per line, for log collectors)",
    "DB_POOL_SIZE": (
        "use a whole number from 1 to 100, e.g. DB_POOL_SIZE=10, or leave it unset to size the pool from HTTP_THREADS"
    ),
    "METRICS_PORT": "use a whole number from 1 to 65535, e.g. METRICS_PORT=9464 (the default), or off",
    "METRICS_TOKEN": (
        "use at least 16 characters (for example the output of `python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(32))'`), or leave it unset to keep /metrics off PORT"
    ),
    "DASHBOARD_SECRET": (
        "use at least 32 characters (for example the output of `python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(32))'`), or leave it unset to derive it from SLACK_SIGNING_SECRET"
    ),
    "DB_CONNECT_TIMEOUT": "use a whole number of seconds from 2 to 60, e.g. DB_CONNECT_TIMEOUT=2",
    "DB_POOL_TIMEOUT": "use a number of seconds from 0.1 to 60, e.g. DB_POOL_TIMEOUT=1",
    "DB_STATEMENT_TIMEOUT": "use a number of seconds from 0.1 to 3600, e.g. DB_STATEMENT_TIMEOUT=5",
    "HTTP_IDLE_TIMEOUT": "use a whole number of seconds from 1 to 600, e.g. HTTP_IDLE_TIMEOUT=10",
    "HTTP_MAX_CONNECTIONS": "use a whole number from 100 to 1000000, e.g. HTTP_MAX_CONNECTIONS=10000",
    "PROCESSED_EVENTS_RETENTION_DAYS": "use a whole number of days from 1 to 3650, e.g. 7 (the default)",
    "DELIVERIES_RETENTION_DAYS": "use a whole number of days from 35 to 3650, e.g. 90 (the default)",
    "TOKEN_ENCRYPTION_KEYS": (
        f"make a key with: {KEY_COMMAND} and put it in .env as TOKEN_ENCRYPTION_KEYS=<that key> (while rotating, "
        "several keys, comma-separated: the first encrypts). Keep it secret and keep a copy: the installed "
        "workspaces' Slack tokens are stored encrypted with it and cannot be read without it"
    ),
}

LOG_FORMATS = ("text", "json")
MAX_DB_POOL_SIZE = 100
DEFAULT_METRICS_PORT = 9464  # the port Prometheus exporters of this kind commonly take
OFF = ("off", "no", "none", "false")  # METRICS_PORT=off: no metrics port ("0" is refused, as any bad port)
MIN_METRICS_TOKEN = 16
MIN_DASHBOARD_SECRET = 32


class DatabaseSettings(BaseSettings):
    """What the database commands (`db upgrade`, `export`) need: no Slack tokens."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
    )

    database_url: str = "sqlite:///mindset.db"
    log_level: str = "INFO"
    log_format: str = "text"
    # Fernet keys, comma-separated: the stored OAuth tokens are encrypted with the first (storage/token_cipher.py)
    token_encryption_keys: SecretStr | None = None

    @field_validator("token_encryption_keys", mode="before")
    @classmethod
    def _token_keys_shape(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")
        if not raw.strip():
            return None
        TokenCipher.parse(raw)  # a ValueError naming the key that is not one
        return raw.strip()

    @property
    def token_cipher(self) -> TokenCipher | None:
        keys = self.token_encryption_keys
        return TokenCipher.parse(keys.get_secret_value()) if keys is not None else None

    @field_validator("database_url")
    @classmethod
    def _database_url_shape(cls, value: str) -> str:
        url = value.strip()
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        if not url.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return url

    @field_validator("log_level")
    @classmethod
    def _log_level_shape(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("is not a log level")
        return level

    @field_validator("log_format")
    @classmethod
    def _log_format_shape(cls, value: str) -> str:
        fmt = value.strip().lower() or "text"
        if fmt not in LOG_FORMATS:
            raise ValueError("must be text or json")
        return fmt

    @property
    def log_level_number(self) -> int:
        return int(logging.getLevelName(self.log_level))

    def log_setup(self) -> LogSetup:
        return LogSetup(level=self.log_level_number, fmt=self.log_format, secrets=tuple(self.secrets()))

    def secrets(self) -> list[str]:
        """What logs must never show: the database password (when long enough not to mask ordinary words)
        and the token encryption keys."""
        password = make_url(self.database_url).password
        found = [str(password)] if password and len(str(password)) >= MIN_MASKED_SECRET else []
        if self.token_encryption_keys is not None:
            found += [key.strip() for key in self.token_encryption_keys.get_secret_value().split(",") if key.strip()]
        return found


class Settings(DatabaseSettings):
    """Everything `mindset-bot run` needs, named as in the README's table.

    One workspace: SLACK_BOT_TOKEN. Many (Slack's OAuth flow, "Add to Slack"): SLACK_CLIENT_ID and
    SLACK_CLIENT_SECRET, each workspace's token kept in the database when it installs the app.
    """

    # declared before the bot token: its validator reads them
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = Field(default=None, validate_default=True)
    slack_bot_token: SecretStr | None = Field(default=None, validate_default=True)
    slack_signing_secret: SecretStr
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_DEFAULT
    # how long one Web API call may take before it counts as failed (Slack answers within a second or two)
    slack_api_timeout: int = Field(default=10, ge=1, le=120)
    port: int = Field(default=3000, ge=1, le=65535)
    http_threads: int = Field(default=16, ge=1, le=256)
    db_pool_size: int | None = Field(default=None, ge=1, le=MAX_DB_POOL_SIZE)
    # /metrics on a port of its own (None: off); on PORT only with METRICS_TOKEN
    metrics_port: int | None = Field(default=DEFAULT_METRICS_PORT, ge=1, le=65535)
    metrics_token: SecretStr | None = None
    # how long the database may keep `run` waiting: to connect (PostgreSQL), for a free pooled connection,
    # for one statement (PostgreSQL's statement_timeout) or the write lock (SQLite's busy timeout)
    db_connect_timeout: int = Field(default=2, ge=2, le=60)
    db_pool_timeout: float = Field(default=1.0, ge=0.1, le=60)
    db_statement_timeout: float = Field(default=5.0, ge=0.1, le=3600)
    # a connection must bring a request's head within this after it opens or after its last answer
    http_idle_timeout: int = Field(default=10, ge=1, le=600)
    # open HTTP connections beyond which requests are answered 503
    http_max_connections: int = Field(default=10_000, ge=100, le=1_000_000)
    # how long the engine keeps the events Slack sent (to recognise its retries) and finished deliveries
    # (at least 35 days: a root-cause nudge may be planned again for 30 days after its sorry, and its
    # delivery row is what stops a second one)
    processed_events_retention_days: int = Field(default=7, ge=1, le=3650)
    deliveries_retention_days: int = Field(default=90, ge=35, le=3650)
    # signs the web dashboard's cookies (unset: a key derived from SLACK_SIGNING_SECRET)
    dashboard_secret: SecretStr | None = None

    @field_validator("db_pool_size", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _metrics_port_or_off(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip().lower()
            if not text:
                return DEFAULT_METRICS_PORT
            if text in OFF:
                return None
        return value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _metrics_token_shape(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else ("" if value is None else str(value))
        raw = raw.strip()
        if not raw:
            return None
        if len(raw) < MIN_METRICS_TOKEN or any(character.isspace() for character in raw):
            raise ValueError(f"must be at least {MIN_METRICS_TOKEN} characters without spaces")
        return raw

    @field_validator("dashboard_secret", mode="before")
    @classmethod
    def _dashboard_secret_shape(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else ("" if value is None else str(value))
        raw = raw.strip()
        if not raw:
            return None
        if len(raw) < MIN_DASHBOARD_SECRET or any(character.isspace() for character in raw):
            raise ValueError(f"must be at least {MIN_DASHBOARD_SECRET} characters without spaces")
        return raw

    @field_validator("slack_client_id", mode="before")
    @classmethod
    def _client_id_shape(cls, value: Any) -> Any:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if not re.fullmatch(r"\d+\.\d+", text):
            raise ValueError("looks like 1234567890.1234567890 (Basic Information > App Credentials)")
        return text

    @field_validator("slack_client_secret")
    @classmethod
    def _client_secret_needed(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        secret = value.get_secret_value().strip() if value is not None else ""
        if info.data.get("slack_client_id") and not secret:
            raise PydanticCustomError("missing", "is needed with SLACK_CLIENT_ID")
        return SecretStr(secret) if secret else None

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        token = value.get_secret_value().strip() if value is not None else ""
        if not token:
            if info.data.get("slack_client_id"):
                return None  # many workspaces: each one's token comes from its install
            raise PydanticCustomError("missing", "Field required")
        # with SLACK_CLIENT_ID too: one workspace, whose people sign in to the web dashboard with Slack
        if not token.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return SecretStr(token)

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret_shape(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value().strip()
        if not secret:
            raise ValueError("is empty")
        if secret.lower() in {"changeme", "your-signing-secret", "xxx"}:
            raise ValueError("is still a placeholder")
        return SecretStr(secret)

    @field_validator("slack_app_token", mode="before")
    @classmethod
    def _app_token_shape(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        raw = raw.strip()
        if not raw:
            return None
        if not raw.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        if info.data.get("slack_client_id") and info.data.get("slack_bot_token") is None:
            raise ValueError(
                "cannot be used with SLACK_CLIENT_ID without SLACK_BOT_TOKEN: installing in many workspaces needs "
                "the HTTP server (its /slack/install page), so leave SLACK_APP_TOKEN unset"
            )
        return raw

    @model_validator(mode="after")
    def _oauth_needs_token_keys(self) -> Settings:
        if self.oauth and self.token_encryption_keys is None:
            # many workspaces: their tokens are stored, and never in the clear
            raise PydanticCustomError("missing", "is needed with SLACK_CLIENT_ID", {"setting": "TOKEN_ENCRYPTION_KEYS"})
        return self

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_shape(cls, value: str) -> str:
        url = value.strip() or SLACK_API_DEFAULT
        if not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url if url.endswith("/") else url + "/"

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def oauth(self) -> bool:
        """Many workspaces, each installed through Slack's OAuth flow (SLACK_CLIENT_ID without SLACK_BOT_TOKEN;
        with it, the client id and secret serve the dashboard's Sign in with Slack only)."""
        return self.slack_client_id is not None and self.slack_bot_token is None

    @property
    def dashboard_ready(self) -> bool:
        """The web dashboard's Sign in with Slack needs the app's client id and secret."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @property
    def dashboard_key(self) -> bytes:
        """The key that signs the dashboard's cookies: DASHBOARD_SECRET, or one derived from the signing secret
        (changing either signs everyone out)."""
        if self.dashboard_secret is not None:
            secret = self.dashboard_secret.get_secret_value().encode()
        else:
            secret = self.slack_signing_secret.get_secret_value().encode()
        return hmac.new(secret, b"mindset-dashboard-cookies-v1", hashlib.sha256).digest()

    @property
    def retention(self) -> tuple[timedelta, timedelta]:
        """How long processed events and finished deliveries are kept."""
        return timedelta(days=self.processed_events_retention_days), timedelta(days=self.deliveries_retention_days)

    def db_timeouts(self) -> Timeouts:
        return Timeouts(connect=self.db_connect_timeout, pool=self.db_pool_timeout, statement=self.db_statement_timeout)

    @property
    def pool_size(self) -> int:
        """Database connections kept per process: DB_POOL_SIZE, or one per HTTP worker thread (at least 5,
        for the engine and the background work after each answer). The pool may open as many again
        when busy, so a process holds at most twice this many connections."""
        if self.db_pool_size is not None:
            return self.db_pool_size
        return min(max(5, self.http_threads), MAX_DB_POOL_SIZE)

    def secrets(self) -> list[str]:
        """What logs must never show: the tokens and secrets, and the database password."""
        values = [
            secret.get_secret_value()
            for secret in (
                self.slack_bot_token,
                self.slack_app_token,
                self.slack_signing_secret,
                self.slack_client_secret,
                self.metrics_token,
                self.dashboard_secret,
            )
            if secret is not None
        ]
        return [value for value in values if len(value) >= MIN_MASKED_SECRET] + super().secrets()


S = TypeVar("S", bound=DatabaseSettings)


class SettingsError(Exception):
    """Raised with one human line per bad setting."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def describe_validation_error(error: ValidationError) -> list[str]:
    """Turn pydantic's report into one clear line per setting, naming how to fix it."""
    lines: list[str] = []
    for item in error.errors():
        # a check of several settings together names the one to fix in its context
        name = str(item["loc"][0]).upper() if item["loc"] else str((item.get("ctx") or {}).get("setting", "SETTINGS"))
        if item["type"] == "missing":
            problem = "is missing"
        else:
            message = str(item.get("msg", "is invalid"))
            message = message.removeprefix("Value error, ")
            problem = f"is invalid ({message})"
        fix = HOW_TO_FIX.get(name, "see the settings table in README.md")
        lines.append(f"{name} {problem}: {fix}" + ("" if fix.endswith(".") else "."))
    return lines


def load_settings(kind: type[S], **overrides: Any) -> S:
    """Read the settings, raising `SettingsError` with readable lines when they are wrong."""
    try:
        return kind(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
