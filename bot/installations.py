"""Many workspaces: slack_sdk's OAuth stores on the bot's own tables (created by our migrations).

The tokens each installation brings are encrypted before they reach the database and decrypted as they
are read (storage/token_cipher.py): the store's token columns go through the cipher, so every one of
slack_sdk's reads and writes, and ours, sees the token and the database only ciphertext.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, String, column, delete, func, select, table
from sqlalchemy.sql.expression import ColumnClause

from bot.scopes import BOT_SCOPES
from bot.settings import Settings
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES
from storage.token_cipher import TOKEN_COLUMNS, TokenCipher, TokenKeyProblem, in_the_clear, seal_columns

STATE_EXPIRES_SECONDS = 600
# Install pages opened and not yet completed (their states live 10 minutes): far more than start at once in
# any real deployment, and a few hundred small rows at most. Beyond it the page answers 429.
MAX_PENDING_INSTALLS = 500
TOO_MANY_INSTALLS_PAGE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Try again in a few minutes</title></head><body>'
    "<h1>Too many installs are under way</h1><p>Please try again in {minutes} minute{s}.</p></body></html>"
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


@dataclass(frozen=True)
class StoredTokens:
    """What the keys make of the stored tokens: how many there are, how many the keys cannot open (and of
    which workspaces), how many are in the clear (a migration not applied) or under an older key."""

    total: int
    unreadable_teams: tuple[str, ...]
    unreadable: int
    in_the_clear: int
    under_older_key: int


class WorkspaceInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store on our tables, tokens encrypted; saving an installation tells the bot the workspace
    is back."""

    def __init__(
        self, *, client_id: str, engine: Engine, on_installed: Callable[[str], None], cipher: TokenCipher
    ) -> None:
        super().__init__(
            client_id=client_id,
            engine=engine,
            bots_table_name=SLACK_BOTS,
            installations_table_name=SLACK_INSTALLATIONS,
        )
        self.metadata = MetaData()
        self.bots = seal_columns(self.build_bots_table(metadata=self.metadata, table_name=SLACK_BOTS), cipher)
        self.installations = seal_columns(
            self.build_installations_table(metadata=self.metadata, table_name=SLACK_INSTALLATIONS), cipher
        )
        self.cipher = cipher
        self._on_installed = on_installed

    def save(self, installation: Installation) -> None:
        super().save(installation)
        if installation.team_id:
            self._on_installed(installation.team_id)

    def bot_token(self, team_id: str) -> str | None:
        """The workspace's latest bot token, whether or not it was installed from an Enterprise Grid org
        (slack_sdk's find_bot needs the org's id, which a nudge for a workspace does not carry)."""
        bots = self.bots
        with self.engine.connect() as connection:
            row = connection.execute(
                select(bots.c.bot_token)
                .where(bots.c.client_id == self.client_id, bots.c.team_id == team_id)
                .order_by(bots.c.installed_at.desc(), bots.c.id.desc())
                .limit(1)
            ).first()
        return str(row[0]) if row is not None and row[0] else None

    def stored_tokens(self) -> StoredTokens:
        """Every stored token, read as it is stored (ciphertext), and what the keys make of it."""
        total = unreadable = clear = older = 0
        teams: set[str] = set()
        with self.engine.connect() as connection:
            for name, columns in TOKEN_COLUMNS.items():
                raw = table(name, _text("team_id"), *(_text(name_of_column) for name_of_column in columns))
                for row in connection.execute(select(raw)).mappings():
                    for name_of_column in columns:
                        value = row[name_of_column]
                        if not value:
                            continue
                        total += 1
                        if in_the_clear(str(value)):
                            clear += 1
                        elif not self.cipher.under_first_key(str(value)):
                            try:
                                self.cipher.open(str(value))
                                older += 1
                            except TokenKeyProblem:
                                unreadable += 1
                                teams.add(str(row["team_id"]))
        return StoredTokens(total, tuple(sorted(teams)), unreadable, clear, older)

    def rotate_tokens(self) -> int:
        """Encrypt every stored token with the first key (after a new one was put first); how many changed."""
        changed = 0
        with self.engine.begin() as connection:
            for name, columns in TOKEN_COLUMNS.items():
                raw = table(name, _text("id"), *(_text(name_of_column) for name_of_column in columns))
                for row in connection.execute(select(raw)).mappings().all():
                    values = {
                        name_of_column: self._under_first_key(str(row[name_of_column]))
                        for name_of_column in columns
                        if row[name_of_column] and not self.cipher.under_first_key(str(row[name_of_column]))
                    }
                    if values:
                        connection.execute(raw.update().where(raw.c.id == row["id"]).values(**values))
                        changed += len(values)
        return changed

    def _under_first_key(self, stored: str) -> str:
        return self.cipher.seal(stored) if in_the_clear(stored) else self.cipher.rotate(stored)

    def forget_team(self, team_id: str) -> None:
        """Delete the workspace's installations and bot tokens, Enterprise Grid or not."""
        with self.engine.begin() as connection:
            for table in (self.bots, self.installations):
                connection.execute(delete(table).where(table.c.client_id == self.client_id, table.c.team_id == team_id))


class TooManyPendingInstalls(Exception):
    """The install page was opened more often than installs complete: no new state until some expire."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"{MAX_PENDING_INSTALLS} installs are under way; try again in {retry_after} s")
        self.retry_after = retry_after


class BoundedOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store, bounded: every visit of the install page stores a state, and without a bound
    anyone could grow the table by asking for the page. Expired states are deleted whenever a state is
    issued or consumed, and no more than `limit` live ones are kept: past that, `issue` raises
    `TooManyPendingInstalls` (the page answers 429) rather than handing out a state already issued,
    which would tie two browsers to one state and undo what the state is for (that the person who
    comes back from Slack is the one who asked)."""

    def __init__(self, *, engine: Engine, expiration_seconds: int, limit: int = MAX_PENDING_INSTALLS) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine, table_name=SLACK_OAUTH_STATES)
        self.limit = limit

    def issue(self, *args: object, **kwargs: object) -> str:
        now = _naive_utc_now()
        states = self.oauth_states
        with self.engine.begin() as connection:
            connection.execute(delete(states).where(states.c.expire_at <= now))
            live, first_expiry = connection.execute(select(func.count(), func.min(states.c.expire_at))).one()
        if live >= self.limit:
            wait = (first_expiry - now).total_seconds() if first_expiry is not None else self.expiration_seconds
            raise TooManyPendingInstalls(retry_after=max(1, math.ceil(wait)))
        return str(super().issue(*args, **kwargs))

    def consume(self, state: str) -> bool:
        with self.engine.begin() as connection:
            connection.execute(delete(self.oauth_states).where(self.oauth_states.c.expire_at <= _naive_utc_now()))
        return bool(super().consume(state))


def _naive_utc_now() -> datetime:
    """Now, as slack_sdk's state store writes its times: UTC without a zone."""
    return datetime.now(UTC).replace(tzinfo=None)


class BoundedInstallFlow(OAuthFlow):
    """Bolt's OAuth flow, answering 429 (with Retry-After) when the state store will issue no more states."""

    def handle_installation(self, request: BoltRequest) -> BoltResponse:
        try:
            return super().handle_installation(request)
        except TooManyPendingInstalls as refused:
            minutes = math.ceil(refused.retry_after / 60)
            return BoltResponse(
                status=429,
                body=TOO_MANY_INSTALLS_PAGE.format(minutes=minutes, s="" if minutes == 1 else "s"),
                headers={"Content-Type": "text/html; charset=utf-8", "Retry-After": str(refused.retry_after)},
            )


def oauth_settings(settings: Settings, store: WorkspaceInstallationStore, engine: Engine) -> OAuthSettings:
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=store,
        installation_store_bot_only=True,
        state_store=BoundedOAuthStateStore(engine=engine, expiration_seconds=STATE_EXPIRES_SECONDS),
        state_expiration_seconds=STATE_EXPIRES_SECONDS,
    )


def _text(name: str) -> ColumnClause[str]:
    return column(name, String)
