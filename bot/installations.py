"""Many workspaces: slack_sdk's OAuth stores on the bot's own tables (created by our migrations)."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, delete, select

from bot.scopes import BOT_SCOPES
from bot.settings import Settings
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES

STATE_EXPIRES_SECONDS = 600
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class WorkspaceInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store on our tables; saving an installation tells the bot the workspace is back."""

    def __init__(self, *, client_id: str, engine: Engine, on_installed: Callable[[str], None]) -> None:
        super().__init__(
            client_id=client_id,
            engine=engine,
            bots_table_name=SLACK_BOTS,
            installations_table_name=SLACK_INSTALLATIONS,
        )
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
