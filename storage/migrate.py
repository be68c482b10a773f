"""Apply and revert the Alembic migrations that define the schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from storage.token_cipher import TokenCipher

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, token_cipher: TokenCipher | None = None) -> Config:
    """`token_cipher`: TOKEN_ENCRYPTION_KEYS, for the migration that encrypts stored Slack tokens (and its
    downgrade); without it that migration refuses to run on a database that holds tokens."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates "%": a percent-encoded password or a path with "%" would break it
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    config.attributes["token_cipher"] = token_cipher
    return config


def upgrade(engine: Engine, revision: str = "head", *, token_cipher: TokenCipher | None = None) -> None:
    command.upgrade(alembic_config(engine, token_cipher), revision)


def downgrade(engine: Engine, revision: str = "base", *, token_cipher: TokenCipher | None = None) -> None:
    command.downgrade(alembic_config(engine, token_cipher), revision)
