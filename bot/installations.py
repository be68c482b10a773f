"""Many workspaces: slack_sdk's OAuth stores on the bot's own tables (created by our migrations).

The tokens each installation brings are encrypted before they reach the database and decrypted as they
are read (storage/token_cipher.py): the store's token columns go through the cipher, so every one of
slack_sdk's reads and writes, and ours, sees the token and the database only ciphertext.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, String, column, delete, select, table
from sqlalchemy.sql.expression import ColumnClause

from bot.scopes import BOT_SCOPES
from bot.settings import Settings
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES
from storage.token_cipher import TOKEN_COLUMNS, TokenCipher, TokenKeyProblem, in_the_clear, seal_columns

STATE_EXPIRES_SECONDS = 600
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
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_EXPIRES_SECONDS, engine=engine, table_name=SLACK_OAUTH_STATES
        ),
        state_expiration_seconds=STATE_EXPIRES_SECONDS,
    )


def _text(name: str) -> ColumnClause[str]:
    return column(name, String)
